"""SVG charts: well-formed, escaped, scaled, and free of scripts and inline styles."""

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.reports.charts import Bar, bar_chart, histogram, waterfall_chart


def _svg(markup: str) -> ET.Element:
    return ET.fromstring(markup)


_LABELS = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(_LABELS, st.floats(0, 1e7), st.floats(0, 1e7)), max_size=15))
def test_a_bar_chart_is_well_formed_whatever_its_labels_and_values(
    rows: list[tuple[str, float, float]],
) -> None:
    markup = bar_chart([Bar(label, a, b) for label, a, b in rows], title="<title & more>", series=("a", "b"))
    root = _svg(markup)
    assert root.tag == "svg" and "<script" not in markup and "style=" not in markup
    assert root.find("title") is not None and root.find("title").text == "<title & more>"  # type: ignore[union-attr]


def test_the_longest_bar_is_the_largest_value() -> None:
    root = _svg(bar_chart([Bar("a", 10), Bar("b", 40), Bar("c", 20)], title="t"))
    widths = [float(r.get("width", 0)) for r in root.iter("rect")]
    assert widths.index(max(widths)) == 1


def test_a_waterfall_steps_from_one_running_total_to_the_next() -> None:
    steps = [("prior", -10.0, -10.0), ("name", 6.0, -4.0), ("date", 9.0, 5.0), ("sex", -1.0, 4.0)]
    root = _svg(waterfall_chart(steps, title="w", value_text=lambda v: f"{v:+.1f}", total_label="total"))
    rects = list(root.iter("rect"))
    assert len(rects) == len(steps) + 1
    width = [float(r.get("width", 0)) for r in rects]
    assert abs(width[1] / width[2] - 6 / 9) < 0.01  # each step as wide as its weight
    assert [r.get("fill") for r in rects][1:4] == ["#2e8b57", "#2e8b57", "#c0392b"]
    labels = ["".join(t.itertext()) for t in root.iter("text")]
    assert "totaltotal" in labels and "+4.0" in labels  # a label holds its full text as a tooltip


def test_a_histogram_has_one_bar_a_bin() -> None:
    root = _svg(histogram([("<6", 0), ("6–8", 5), ("≥8", 2)], title="h"))
    assert len(list(root.iter("rect"))) == 3

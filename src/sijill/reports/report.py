"""The demo's report: one self-contained HTML file with its charts (no external reference).

It shows what the register holds (records by registry, persons, links), how good the
linkage is against the synthetic truth, the coverage against the 2024 census by region and
commune type, and the review backlog. Charts are inline SVG and the style is in the page,
so the file opens offline, anywhere, and can be mailed as it is.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.reports.charts import Bar, bar_chart, histogram
from sijill.reports.coverage import Coverage, coverage
from sijill.reports.evaluation import Evaluation, evaluate
from sijill.reports.quality import LinkageQuality, linkage_quality

SOURCE_NAMES = {
    "civil": "Civil status",
    "cnie": "CNIE (ID card)",
    "massar": "MASSAR (schools)",
    "cnss": "CNSS (social security)",
    "ramed": "RAMED (medical assistance)",
}
GAP_COMMUNES = 20


@dataclass
class ReportFigures:
    """Everything the report shows, computed once."""

    generated_at: datetime
    quality: LinkageQuality
    coverage: Coverage
    evaluation: Evaluation | None


def report_figures(*, session: Session, truth_path: Path | None, census_share: float) -> ReportFigures:
    """Compute the figures of the report from the register (and the truth, when given)."""
    return ReportFigures(
        generated_at=utcnow(),
        quality=linkage_quality(session=session),
        coverage=coverage(session=session, share=census_share),
        evaluation=evaluate(session=session, truth_path=truth_path) if truth_path else None,
    )


def _number(v: float) -> str:
    return f"{v:,.0f}"


def _share(v: float) -> str:
    return f"{v:.1%}"


def _charts(f: ReportFigures) -> dict[str, Markup]:
    q, cov = f.quality, f.coverage
    charts = {
        "sources": bar_chart(
            [Bar(SOURCE_NAMES.get(s, s), n) for s, n in q.records_by_source.items()],
            title="Accepted records by registry",
        ),
        "spread": bar_chart(
            [Bar(f"in {k} registr{'y' if k == 1 else 'ies'}", n) for k, n in q.sources_per_person.items()],
            title="Persons by the number of registries they are found in",
        ),
        "methods": bar_chart(
            [Bar(m, n) for m, n in q.links_by_method.items()], title="Links of records to persons, by method"
        ),
        "weights": histogram(q.weight_bins, title="Match weight of probabilistic links"),
        "regions": bar_chart(
            [Bar(a.name_fr, a.persons, a.expected) for a in cov.regions],
            title="Persons placed in each region against the expected population",
            series=("persons in the register", "expected (census 2024 × share)"),
        ),
        "rates": bar_chart(
            [Bar(a.name_fr, a.coverage * 100) for a in cov.regions],
            title="Coverage by region",
            value_text=lambda v: f"{v:.1f} %",
        ),
        "types": bar_chart(
            [Bar(a.name_fr, a.persons, a.expected) for a in cov.commune_types],
            title="Urban and rural communes",
            series=("persons in the register", "expected"),
        ),
        "backlog": bar_chart(
            [
                Bar("pending", q.backlog.pending),
                Bar("linked by a reviewer", q.backlog.linked),
                Bar("kept apart by a reviewer", q.backlog.kept_apart),
                Bar("moot (one person since)", q.backlog.moot),
            ],
            title="Review queue",
        ),
    }
    if f.evaluation is not None:
        e = f.evaluation
        charts["subgroups"] = bar_chart(
            [
                Bar(name.replace("_", " "), s.bcubed_precision * 100, s.bcubed_recall * 100)
                for name, s in e.subgroups.items()
            ],
            title="B-cubed precision and recall by subgroup",
            series=("precision", "recall"),
            value_text=lambda v: f"{v:.2f} %",
        )
        errors = sorted(
            {*e.false_merges_by_sources, *e.missed_links_by_sources},
            key=lambda k: -(e.false_merges_by_sources.get(k, 0) + e.missed_links_by_sources.get(k, 0)),
        )
        charts["errors"] = bar_chart(
            [
                Bar(k, e.false_merges_by_sources.get(k, 0), e.missed_links_by_sources.get(k, 0))
                for k in errors[:12]
            ],
            title="Linkage errors by pair of registries (pairs of records)",
            series=("false merges", "missed links"),
        )
    return charts


def render_report(figures: ReportFigures, *, extra: dict[str, Any] | None = None) -> str:
    """Return the report as one HTML page."""
    env = Environment(
        loader=PackageLoader("sijill.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = _number
    env.filters["share"] = _share
    template = env.get_template("report.html")
    return template.render(
        f=figures,
        charts=_charts(figures),
        gaps=figures.coverage.communes[:GAP_COMMUNES],
        sources=SOURCE_NAMES,
        extra=extra or {},
    )


def write_report(
    *,
    session: Session,
    out: Path,
    truth_path: Path | None = None,
    census_share: float = 1.0,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write the report of the register to `out` and return its path."""
    figures = report_figures(session=session, truth_path=truth_path, census_share=census_share)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(figures, extra=extra), encoding="utf-8")
    return out

"""Reports: reach by region and area against the census, by the recipient's sex, amounts, charts."""

import csv
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

from sijill.db.engine import session_scope
from sijill.social import cycle_amounts, reach_against_census, reach_by_sex, write_report
from tests.social.conftest import RURAL, URBAN, H, P, Register, import_survey, run

Make = Callable[[Sequence[P]], Register]


def _census(region: str, area: str) -> int:
    """Sum the 2024 population of a region's urban or rural communes, read from the shipped file."""
    text = resources.files("sijill.data").joinpath("communes.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return sum(
        int(r["population_2024"] or 0) for r in rows if (r["region_code"], r["type"]) == (region, area)
    )


def _register(make_register: Make, tmp_path: Path) -> Register:
    people = [
        P("uh", "F", "1980-01-01"),
        P("uc", "M", "2018-01-01", attendance=0.9),
        P("vh", "M", "1975-01-01"),
        P("vs", "F", "1977-01-01"),
        P("rh", "M", "1970-01-01"),
        P("xh", "M", "1971-01-01"),
    ]
    register = make_register(people)
    households = [
        H("u1", [("uh", "head"), ("uc", "son")], commune=URBAN, marital="divorced"),
        H("u2", [("vh", "head"), ("vs", "spouse")], commune=URBAN),
        H("r1", [("rh", "head")], commune=RURAL, marital="single"),
        H("rich", [("xh", "head")], commune=URBAN, pmt=9.9),
    ]
    import_survey(register, households, tmp_path / "households.csv")
    run(register, "2026-01")
    return register


def test_reach_is_counted_by_region_and_area_against_the_census_and_by_recipients_sex(
    make_register: Make, tmp_path: Path
) -> None:
    register = _register(make_register, tmp_path)
    # Family allowances: u1 (one child, 250 topped up to 500, paid to its mother), u2 (flat 500,
    # paid to the wife), r1 (flat 500, paid to the man living alone); "rich" is above the line.
    with session_scope(register.engine) as session:
        rows = reach_against_census(session=session, program="family_allowance", period="2026-01")
        by_sex = reach_by_sex(session=session, program="family_allowance", period="2026-01")
        amo_by_sex = reach_by_sex(session=session, program="amo_tadamon", period="2026-01")
        cycles = {c["program"]: c for c in cycle_amounts(session=session)}
    reached = {(r["region_code"], r["area"]): r for r in rows if r["beneficiaries"]}
    urban, rural = _census("04", "urban"), _census("04", "rural")
    assert {k: {c: v for c, v in r.items() if c != "region"} for k, r in reached.items()} == {
        ("04", "urban"): {
            "region_code": "04",
            "area": "urban",
            "census_population": urban,
            "registered_persons": 5,  # u1 2, u2 2, rich 1
            "beneficiaries": 4,
            "households": 2,
            "amount_mad": 1000,
            "per_1000_census": round(4000 / urban, 3),
            "share_of_registered": 0.8,
        },
        ("04", "rural"): {
            "region_code": "04",
            "area": "rural",
            "census_population": rural,
            "registered_persons": 1,
            "beneficiaries": 1,
            "households": 1,
            "amount_mad": 500,
            "per_1000_census": round(1000 / rural, 3),
            "share_of_registered": 1.0,
        },
    }
    assert len(rows) == 12 * 2  # every region and area, reached or not
    assert by_sex == {"F": 2, "M": 1}
    # AMO Tadamon pays the head: the divorced mother, the husband, the man alone.
    assert amo_by_sex == {"F": 1, "M": 2}
    fa = cycles["family_allowance"]
    assert (fa["households"], fa["persons"], fa["amount_mad"], fa["status"]) == (3, 5, 1500, "prepared")
    assert fa["recipients_by_sex"] == {"F": 2, "M": 1}
    assert (cycles["amo_tadamon"]["amount_mad"], cycles["amo_tadamon"]["persons"]) == (5 * 62, 5)


def test_the_report_charts_reach_by_region_area_and_sex_and_the_exclusions(
    make_register: Make, tmp_path: Path
) -> None:
    register = _register(make_register, tmp_path)
    out = tmp_path / "report.html"
    with session_scope(register.engine) as session:
        write_report(session=session, period="2026-01", out=out)
    page = out.read_text(encoding="utf-8")
    section = page[page.index("<h2>family_allowance") : page.index("<h2>school_attendance")]
    for title in (
        "Beneficiaries per 1,000 census inhabitants, by region",
        "Beneficiaries per 1,000 census inhabitants, urban and rural",
        "Recipients of the payment by sex",
        "Exclusions by reason (households)",
    ):
        assert f'aria-label="{title}"' in section
    assert ">women</text>" in section and ">men</text>" in section
    assert "above_threshold: index above 9.743001" in section
    assert 'aria-label="Amount of each program&#x27;s cycle (MAD)"' in page

"""Reports of the social register: reach, amounts, exclusions, targeting, with charts.

The read functions return plain rows (for the web desk's dashboards and the API);
`write_report` puts them in one self-contained HTML file with inline SVG charts (no script,
no CDN). Reach is set against the census population of each region and area (HCP, RGPH
2024, shipped in `sijill.data`).
"""

import csv
import html
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sijill.geo import communes
from sijill.social.config import load_programs
from sijill.social.index import log_consumption, targeting_errors
from sijill.social.models import (
    HOUSEHOLD_ACTIVE,
    MEMBER_ACTIVE,
    Cycle,
    Entitlement,
    Household,
    HouseholdMember,
    HouseholdScore,
)

AREAS = {True: "urban", False: "rural"}


@lru_cache(maxsize=1)
def region_names() -> dict[str, str]:
    """Return the French name of each region by HCP code."""
    text = resources.files("sijill.data").joinpath("regions.csv").read_text(encoding="utf-8")
    return {r["code"]: r["name_fr"] for r in csv.DictReader(text.splitlines())}


@lru_cache(maxsize=1)
def census_population() -> dict[tuple[str, bool], int]:
    """Return the 2024 census population by (region code, urban)."""
    out: dict[tuple[str, bool], int] = {}
    for c in communes().values():
        key = (c.region_code, c.urban)
        out[key] = out.get(key, 0) + c.population
    return out


def _registered_persons(session: Session) -> dict[tuple[str, bool], int]:
    stmt = (
        select(Household.region_code, Household.urban, func.count())
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(Household.status == HOUSEHOLD_ACTIVE, HouseholdMember.status == MEMBER_ACTIVE)
        .group_by(Household.region_code, Household.urban)
    )
    return {(r, bool(u)): int(n) for r, u, n in session.execute(stmt)}


def program_reach(*, session: Session, program: str, period: str) -> list[dict[str, Any]]:
    """Return reach by region, area and recipient's sex: households, persons, amount."""
    stmt = (
        select(
            Entitlement.region_code,
            Entitlement.urban,
            Entitlement.recipient_sex,
            func.count(),
            func.sum(Entitlement.persons),
            func.sum(Entitlement.amount_mad),
        )
        .where(Entitlement.program == program, Entitlement.period == period)
        .group_by(Entitlement.region_code, Entitlement.urban, Entitlement.recipient_sex)
        .order_by(Entitlement.region_code, Entitlement.urban, Entitlement.recipient_sex)
    )
    names = region_names()
    return [
        {
            "region_code": r,
            "region": names.get(r, r),
            "area": AREAS[bool(u)],
            "recipient_sex": s or "",
            "households": int(n),
            "persons": int(p or 0),
            "amount_mad": int(a or 0),
        }
        for r, u, s, n, p, a in session.execute(stmt)
    ]


def reach_against_census(*, session: Session, program: str, period: str) -> list[dict[str, Any]]:
    """Return, by region and area, beneficiaries against registered persons and the census."""
    reach = pd.DataFrame(program_reach(session=session, program=program, period=period))
    registered = _registered_persons(session)
    census = census_population()
    names = region_names()
    rows = []
    for region in sorted(names):
        for urban in (True, False):
            part = (
                reach[(reach["region_code"] == region) & (reach["area"] == AREAS[urban])]
                if len(reach)
                else reach
            )
            persons = int(part["persons"].sum()) if len(part) else 0
            rows.append(
                {
                    "region_code": region,
                    "region": names[region],
                    "area": AREAS[urban],
                    "census_population": census.get((region, urban), 0),
                    "registered_persons": registered.get((region, urban), 0),
                    "beneficiaries": persons,
                    "households": int(part["households"].sum()) if len(part) else 0,
                    "amount_mad": int(part["amount_mad"].sum()) if len(part) else 0,
                    "per_1000_census": round(1000 * persons / max(census.get((region, urban), 0), 1), 3),
                    "share_of_registered": round(persons / max(registered.get((region, urban), 0), 1), 4),
                }
            )
    return rows


def reach_by_sex(*, session: Session, program: str, period: str) -> dict[str, int]:
    """Return the number of recipients of each sex."""
    out: dict[str, int] = {}
    for row in program_reach(session=session, program=program, period=period):
        out[row["recipient_sex"] or "?"] = out.get(row["recipient_sex"] or "?", 0) + row["households"]
    return out


def cycle_amounts(*, session: Session, program: str | None = None) -> list[dict[str, Any]]:
    """Return every cycle with its state, households, persons and amount."""
    stmt = select(Cycle).order_by(Cycle.period, Cycle.program)
    if program is not None:
        stmt = stmt.where(Cycle.program == program)
    return [
        {
            "program": c.program,
            "period": c.period,
            "status": c.status,
            "households": int(c.summary.get("households", 0)),
            "persons": int(c.summary.get("persons", 0)),
            "amount_mad": int(c.summary.get("amount_mad", 0)),
            "recipients_by_sex": c.summary.get("recipients_by_sex", {}),
        }
        for c in session.scalars(stmt)
    ]


def exclusions_of(*, session: Session, period: str, program: str | None = None) -> list[dict[str, Any]]:
    """Return the exclusions of a period's cycles by reason, with counts."""
    stmt = select(Cycle).where(Cycle.period == period).order_by(Cycle.program)
    if program is not None:
        stmt = stmt.where(Cycle.program == program)
    return [
        {"program": c.program, **row}
        for c in session.scalars(stmt)
        for row in c.summary.get("exclusions", [])
    ]


def targeting_of_programs(*, session: Session, survey: Path) -> list[dict[str, Any]]:
    """Return each means-tested program's targeting errors against a survey's true consumption.

    The survey is matched to households by their reference (the survey's `household_id`).
    """
    truth = pd.read_csv(survey, dtype=str, keep_default_na=False)[["household_id", "consumption_per_capita"]]
    stmt = select(Household.ref, HouseholdScore.score).join(
        HouseholdScore, HouseholdScore.household_id == Household.id
    )
    scores = pd.DataFrame.from_records(session.execute(stmt).all(), columns=["household_id", "score"])
    both = scores.merge(truth, on="household_id")
    if not len(both):
        return []
    target = log_consumption(both["consumption_per_capita"])
    rows = [_targeting_row("poorest 20% (index at the same line)", targeting_errors(both["score"], target))]
    for loaded in load_programs().values():
        line = loaded.program.eligibility.index_max
        if line is not None:
            errors = targeting_errors(both["score"], target, line=line.value)
            rows.append(_targeting_row(f"{loaded.program.id} (index <= {line.value})", errors))
    return rows


def _targeting_row(name: str, errors: Any) -> dict[str, Any]:
    return {
        "selection": name,
        "households": errors.households,
        "poor": errors.poor,
        "selected": errors.selected,
        "exclusion_error": round(errors.exclusion_error, 4),
        "inclusion_error": round(errors.inclusion_error, 4),
    }


# ---------------------------------------------------------------- charts and the HTML file


@dataclass(frozen=True)
class Bar:
    """One bar of a chart."""

    label: str
    value: float
    note: str = ""


def bar_chart(title: str, bars: Sequence[Bar], unit: str = "") -> str:
    """Return a horizontal bar chart as a self-contained SVG element."""
    width, left, row = 720, 240, 22
    height = 40 + row * max(len(bars), 1)
    top = max((b.value for b in bars), default=0.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{html.escape(title)}">',
        f'<text x="0" y="18" font-size="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, bar in enumerate(bars):
        y = 30 + i * row
        length = (width - left - 110) * bar.value / top
        parts += [
            f'<text x="{left - 6}" y="{y + 14}" font-size="12" text-anchor="end">'
            f"{html.escape(bar.label)}</text>",
            f'<rect x="{left}" y="{y + 2}" width="{length:.1f}" height="{row - 6}" fill="#2f6f8f"/>',
            f'<text x="{left + length + 4:.1f}" y="{y + 14}" font-size="11">'
            f"{html.escape(_number(bar.value))}{html.escape(unit)} {html.escape(bar.note)}</text>",
        ]
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or float(value).is_integer() else f"{value:,.3g}"


def _table(rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in r.values()) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:right}"
    "th{background:#eef}td:first-child,th:first-child{text-align:left}h2{margin-top:2em}"
)


def _program_section(session: Session, program: str, period: str) -> list[str]:
    census = reach_against_census(session=session, program=program, period=period)
    by_region: dict[str, dict[str, float]] = {}
    for r in census:
        entry = by_region.setdefault(r["region"], {"persons": 0, "census": 0})
        entry["persons"] += r["beneficiaries"]
        entry["census"] += r["census_population"]
    region_bars = [Bar(name, 1000 * v["persons"] / max(v["census"], 1)) for name, v in by_region.items()]
    area_bars = [
        Bar(area, sum(r["beneficiaries"] for r in census if r["area"] == area)) for area in ("urban", "rural")
    ]
    sex = reach_by_sex(session=session, program=program, period=period)
    sex_bars = [Bar({"F": "women", "M": "men"}.get(k, k), v) for k, v in sorted(sex.items())]
    excluded = [e for e in exclusions_of(session=session, period=period, program=program)]
    exclusion_bars = [Bar(f"{e['reason']}: {e['detail']}"[:38], e["households"]) for e in excluded]
    return [
        f"<h2>{html.escape(program)} — {html.escape(period)}</h2>",
        bar_chart("Beneficiaries per 1,000 census inhabitants, by region", region_bars),
        bar_chart("Beneficiaries (persons) by area", area_bars),
        bar_chart("Recipients of the payment by sex", sex_bars, " households"),
        bar_chart("Exclusions by reason (households)", exclusion_bars),
        "<h3>Reach by region and area, against the census (RGPH 2024)</h3>",
        _table(census),
        "<h3>Exclusions</h3>",
        _table(excluded),
    ]


def write_report(*, session: Session, period: str, out: Path, survey: Path | None = None) -> Path:
    """Write the HTML report of a period: reach, amounts per cycle, exclusions, targeting."""
    cycles = [c for c in cycle_amounts(session=session) if c["period"] == period]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Social register — {html.escape(period)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Social register — cycle {html.escape(period)}</h1>",
        "<p>Synthetic data. Census figures: Haut-Commissariat au Plan, RGPH 2024.</p>",
        "<h2>Amounts per cycle</h2>",
        bar_chart(
            "Amount of each program's cycle (MAD)",
            [Bar(c["program"], c["amount_mad"], c["status"]) for c in cycles],
        ),
        _table(
            [{k: v for k, v in c.items() if k != "recipients_by_sex"} for c in cycle_amounts(session=session)]
        ),
    ]
    for c in cycles:
        parts += _program_section(session, c["program"], period)
    if survey is not None:
        rows = targeting_of_programs(session=session, survey=survey)
        parts += [
            "<h2>Targeting errors against the survey's consumption</h2>",
            bar_chart(
                "Exclusion error (poorest 20% not selected)",
                [Bar(r["selection"][:38], r["exclusion_error"]) for r in rows],
            ),
            bar_chart(
                "Inclusion error (selected not among the poorest 20%)",
                [Bar(r["selection"][:38], r["inclusion_error"]) for r in rows],
            ),
            _table(rows),
        ]
    parts.append("</body></html>")
    out.write_text("\n".join(parts), encoding="utf-8")
    return out

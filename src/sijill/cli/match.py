"""`sijill match`: match the rows of an extract against the register, changing nothing."""

import csv
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sijill.register.match import MatchResult

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register

SourceOption = Annotated[
    str, typer.Option("--source", help="The registry the rows come from (civil, cnie, ...)")
]


def match(
    file: Annotated[Path, typer.Argument(help="CSV file of rows in that registry's extract format")],
    source: SourceOption,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per input row")] = False,
    db: DbOption = None,
) -> None:
    """Match each row against the register: link, review or new person (read-only)."""
    from sijill.register import Matcher

    with open_register(db, write=False) as session:
        matcher = Matcher.load(session)
    decisions: Counter[str] = Counter()
    results = []
    with file.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            result = matcher.match(source, row)
            decisions[result.decision] += 1
            if as_json:
                typer.echo(json.dumps(result.as_dict(), ensure_ascii=False))
            else:
                results.append(result)
    if not as_json:
        _table(results)
        summary = ", ".join(f"{n:,} {d}" for d, n in sorted(decisions.items()))
        times = sorted(r.ms for r in results)
        p95 = times[int(0.95 * (len(times) - 1))] if times else 0.0
        console.print(f"{sum(decisions.values()):,} rows: {summary}; p95 {p95:.1f} ms per row")


def _table(results: list["MatchResult"]) -> None:
    from rich.table import Table

    table = Table(title="Online matching")
    for column in ("source id", "decision", "UIN", "best candidate", "probability", "ms"):
        table.add_column(column)
    for result in results:
        best = result.candidates[0] if result.candidates else None
        table.add_row(
            result.source_id or "",
            result.decision + (f" ({result.reason})" if result.reason else ""),
            result.uin or "",
            (best.uin or "unlinked") if best else "",
            f"{best.probability:.4f}" if best else "",
            f"{result.ms:.1f}",
        )
    console.print(table)

"""`sijill evaluate`: score the register against a synthetic truth."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register

if TYPE_CHECKING:
    from sijill.reports.evaluation import Evaluation


def _print(result: "Evaluation") -> None:
    from rich.table import Table

    o = result.overall
    table = Table(title="Linkage quality against the truth")
    for col in (
        "records",
        "precision",
        "recall",
        "F1",
        "B3 precision",
        "B3 recall",
        "false-merge pairs",
        "missed pairs",
    ):
        table.add_column(col, justify="right")
    table.add_row(
        f"{o.records:,}",
        f"{o.precision:.4f}",
        f"{o.recall:.4f}",
        f"{o.f1:.4f}",
        f"{o.bcubed_precision:.4f}",
        f"{o.bcubed_recall:.4f}",
        f"{o.false_merge_pairs:,}",
        f"{o.missed_link_pairs:,}",
    )
    console.print(table)
    console.print(f"quarantined: {result.quarantined:,}; not in the register: {result.not_in_register:,}")
    sub = Table(title="By subgroup (B-cubed)")
    for col in ("subgroup", "records", "B3 precision", "B3 recall", "false merges", "missed"):
        sub.add_column(col, justify="right" if col != "subgroup" else "left")
    for name, s in result.subgroups.items():
        sub.add_row(
            name,
            f"{s.records:,}",
            f"{s.bcubed_precision:.4f}",
            f"{s.bcubed_recall:.4f}",
            f"{s.false_merge_pairs:,}",
            f"{s.missed_link_pairs:,}",
        )
    console.print(sub)
    for title, counts in (
        ("False-merge pairs by sources", result.false_merges_by_sources),
        ("Missed pairs by sources", result.missed_links_by_sources),
    ):
        console.print(f"{title}: " + (", ".join(f"{k} {v:,}" for k, v in counts.items()) or "none"))
    for err in result.worst_errors[:20]:
        console.print(f"[bold]{err['kind']}[/] ({len(err['records'])} records)")
        for r in err["records"]:
            console.print(
                f"  {r['source']:<6} {r['source_id']:<26} {r['family_ar']} {r['given_ar']} | "
                f"{r['family_lat']} {r['given_lat']} | {r['sex']} {r['birth_date']} "
                f"-> uin {r['uin']} person {r['person_id']}"
            )


def evaluate_cmd(
    truth: Annotated[Path, typer.Option("--truth", help="truth.csv written by `sijill synth`")],
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON")] = False,
) -> None:
    """Score the register's linkage against the truth of a synthetic population."""
    from sijill.reports.evaluation import evaluate

    with open_register(db, write=False) as session:
        result = evaluate(session=session, truth_path=truth)
    if as_json:
        console.print_json(json.dumps(result.as_dict(), default=str))
    else:
        _print(result)

"""`sijill model show`, `sijill linkage explain`, `sijill review list|decide`."""

import json
from enum import StrEnum
from typing import Annotated

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register


class Decision(StrEnum):
    """A reviewer's decision on a pair."""

    match = "match"
    non_match = "non_match"


model_app = typer.Typer(help="The trained linkage model.", no_args_is_help=True)
linkage_app = typer.Typer(help="Explain linkage decisions.", no_args_is_help=True)
review_app = typer.Typer(help="The review queue of uncertain pairs.", no_args_is_help=True)


@model_app.command("show")
def show(db: DbOption = None) -> None:
    """Explain the latest model: m, u and match weight of every comparison level."""
    from rich.table import Table

    from sijill.errors import LinkageError
    from sijill.linkage import latest_model, model_table, prior_weight

    with open_register(db, write=False) as session:
        model = latest_model(session=session)
        if model is None:
            raise LinkageError("no trained model in the register: run `sijill build` first")
        settings, training, version = model.settings, model.training, model.version
    console.print(f"model version {version}; prior match weight {prior_weight(settings):.2f}")
    console.print(f"training: {json.dumps(training, default=str)}")
    table = Table(title="Comparison levels")
    for col in ("comparison", "level", "m", "u", "weight", "tf"):
        table.add_column(col, justify="right" if col in ("m", "u", "weight") else "left")
    for r in model_table(settings):
        table.add_row(
            r["comparison"],
            str(r["level"]),
            f"{r['m']:.4f}" if r["m"] else "-",
            f"{r['u']:.6f}" if r["u"] else "-",
            f"{r['match_weight']:+.2f}" if r["match_weight"] is not None else "-",
            r["tf"] or "",
        )
    console.print(table)


def _split(ref: str) -> tuple[str, str]:
    source, _, source_id = ref.partition(":")
    if not source_id:
        raise typer.BadParameter(f"{ref!r}: write a record as SOURCE:SOURCE_ID, e.g. cnie:BK123456")
    return source, source_id


@linkage_app.command("explain")
def explain(
    left: Annotated[str, typer.Argument(help="SOURCE:SOURCE_ID of one record")],
    right: Annotated[str, typer.Argument(help="SOURCE:SOURCE_ID of the other")],
    db: DbOption = None,
) -> None:
    """Print the match weight of each comparison for a pair of records (a waterfall)."""
    from rich.table import Table

    from sijill.linkage import COMPARISONS, level_label, record_id_of, score_stored_pair, waterfall

    with open_register(db, write=False) as session:
        ids = [record_id_of(session=session, source=s, source_id=i) for s, i in (_split(left), _split(right))]
        scored = score_stored_pair(session=session, left=ids[0], right=ids[1])
    row = scored.row
    names = [c.name for c in COMPARISONS]
    table = Table(
        title=f"match weight {row['match_weight']:.2f} (probability {row['match_probability']:.4f})"
    )
    for col in ("step", "level", "weight", "running total"):
        table.add_column(col, justify="left" if col in ("step", "level") else "right")
    for step, weight, total in waterfall(row, names):
        level = "" if step == "prior" else level_label(scored.settings, step, int(row[f"gamma_{step}"]))
        table.add_row(step, level, f"{weight:+.2f}", f"{total:+.2f}")
    console.print(table)


@review_app.command("list")
def review_list(db: DbOption = None, limit: int = 20) -> None:
    """List pending review items with the evidence of each comparison."""
    from rich.table import Table

    from sijill.linkage import pending_reviews

    with open_register(db, write=False) as session:
        items = pending_reviews(session=session, limit=limit)
        table = Table(title="Pending reviews")
        for col in ("id", "records", "weight", "evidence"):
            table.add_column(col)
        for item in items:
            evidence = ", ".join(f"{k} {v['match_weight']:+.1f}" for k, v in item.evidence.items())
            table.add_row(
                str(item.id),
                f"{item.record_id_l} / {item.record_id_r}",
                f"{item.match_weight:.2f}",
                evidence,
            )
    console.print(table)


@review_app.command("decide")
def review_decide(
    item_id: int,
    decision: Annotated[Decision, typer.Argument(help="match or non_match", case_sensitive=False)],
    by: Annotated[str, typer.Option("--by", help="Who decides")],
    note: str | None = None,
    db: DbOption = None,
) -> None:
    """Record a decision and apply it now (merge or keep apart); every later build respects it."""
    from sijill.register import settle_review

    with open_register(db, write=True) as session:
        outcome = settle_review(
            session=session, item_id=item_id, decision=decision.value, reviewer=by, note=note
        )
    if outcome.absorbed_uins:
        console.print(
            f"review {item_id}: match; {', '.join(outcome.absorbed_uins)} now alias {outcome.survivor_uin}"
        )
    else:
        console.print(f"review {item_id}: {decision.value}; applied to the register")

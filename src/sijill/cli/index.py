"""`sijill index ...`: fit, score and explain the socio-economic index."""

from pathlib import Path
from typing import Annotated

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register

index_app = typer.Typer(help="The socio-economic index (proxy means test).", no_args_is_help=True)

ModelOption = Annotated[
    Path | None, typer.Option("--model", help="Index model file (default: the shipped illustrative one)")
]


@index_app.command("fit")
def fit(
    survey: Annotated[
        Path, typer.Argument(help="Survey with consumption (the generator's households.csv)", exists=True)
    ],
    out: Annotated[Path, typer.Option("--out", help="Model file to write (TOML)")],
    model: ModelOption = None,
    version: Annotated[str | None, typer.Option(help="Version of the fitted model")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the fit / test split")] = 1,
) -> None:
    """Refit the coefficients on a survey; report targeting errors of the fitted and the shipped model."""
    from sijill.social.fitting import fit_survey

    report = fit_survey(survey=survey, out=out, base=model, version=version, seed=seed)
    console.print(f"fitted on {report.fitted_on:,} households, tested on {report.tested_on:,}; wrote {out}")
    console.print("targeting errors of the poorest 20% on the test half:")
    for name, errors in (("fitted", report.fitted), ("shipped", report.shipped)):
        console.print(
            f"  {name:<8} exclusion error {errors.exclusion_error:.1%}, "
            f"inclusion error {errors.inclusion_error:.1%} "
            f"({errors.selected:,} selected, {errors.poor:,} poor)"
        )


@index_app.command("score")
def score(
    model: ModelOption = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Rescore every household, not only stale ones")
    ] = False,
    db: DbOption = None,
) -> None:
    """Score households whose data or model changed (every household with --all)."""
    from sijill.social import load_index, score_households

    spec = load_index(model)
    with open_register(db, write=True) as session:
        outcome = score_households(session=session, spec=spec, everything=everything)
    console.print(
        f"{outcome.scored:,} households scored with {outcome.model_version}; {outcome.current:,} current"
    )
    if spec.status != "official":
        console.print(f"[yellow]model {spec.version} is {spec.status}, not official[/]")


@index_app.command("explain")
def explain(household_id: Annotated[int, typer.Argument(help="Household id")], db: DbOption = None) -> None:
    """Explain a household's score term by term."""
    from sijill.social import explain_household

    with open_register(db, write=False) as session:
        e = explain_household(session=session, household_id=household_id)
    if not e["scored"]:
        console.print("not scored yet: run `sijill index score`")
        return
    console.print(f"model {e['model_version']} ({e['model_status']}), {e['area']}")
    console.print(f"  {'area constant':<32} {e['constant']:+.4f}")
    console.print(f"  {'region ' + e['region_code']:<32} {e['region_constant']:+.4f}")
    for t in e["terms"]:
        console.print(
            f"  {t['term']:<32} {t['value']:>9.3f} x {t['coefficient']:>8.4f} = {t['contribution']:+.4f}"
        )
    console.print(
        f"  {'score':<32} {e['score']:.4f}{'' if e['current'] else ' (household changed since scoring)'}"
    )

"""`sijill synth`: write a synthetic population's extracts and truth."""

import json
from pathlib import Path
from typing import Annotated

import typer

from sijill.cli.console import console

STEPS = ["population", "civil", "cnie", "massar", "cnss", "ramed", "households"]


def synth(
    out_dir: Annotated[Path, typer.Argument(help="Directory to write the extracts into")],
    persons: Annotated[int, typer.Option(min=1, help="Number of persons")] = 50_000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 1,
    config: Annotated[
        Path | None, typer.Option(help="JSON file of coverage and noise overrides per registry")
    ] = None,
    profile: Annotated[
        str,
        typer.Option(
            help="Noise profile: default, clerk_spellings, enrolled_twice, latin_sparse, stale_codes, "
            "year_only (see docs/benchmarks.md); --config applies on top"
        ),
    ] = "default",
) -> None:
    """Generate a synthetic Moroccan population: five extracts, truth.csv, households.csv."""
    from rich.progress import Progress

    from sijill.synth import generate
    from sijill.synth.config import load_profile

    try:
        chosen = load_profile(profile)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--profile") from exc
    try:
        extra = json.loads(config.read_text(encoding="utf-8")) if config else None
        settings = chosen.config(extra)
    except (OSError, ValueError, TypeError) as exc:
        raise typer.BadParameter(f"{config}: {exc}", param_hint="--config") from exc
    with Progress(console=console) as bar:
        task = bar.add_task("generating", total=len(STEPS))
        result = generate(
            out_dir,
            persons=persons,
            seed=seed,
            config=settings,
            on_progress=lambda step: bar.update(task, advance=1, description=step),
        )
    rows = ", ".join(f"{k} {v:,}" for k, v in result.rows.items())
    console.print(f"{result.persons:,} persons in {result.households:,} households -> {rows}")

"""`sijill names key` and `sijill names compare`."""

from typing import Annotated

import typer

from sijill.cli.console import console

names_app = typer.Typer(help="Names across scripts.", no_args_is_help=True)


@names_app.command("key")
def key(text: Annotated[str, typer.Argument(help="A name, in Arabic or Latin script")]) -> None:
    """Print the normalised form, the transliteration and the phonetic keys of a name."""
    from sijill.names import is_arabic, loose_key, normalise, strict_key, transliterate

    console.print(f"normalised: {normalise(text)}")
    if is_arabic(text):
        console.print(f"latin:      {transliterate(text)}")
    console.print(f"loose key:  {loose_key(text)}")
    console.print(f"strict key: {strict_key(text)}")


@names_app.command("compare")
def compare(a: str, b: str) -> None:
    """Print the similarity of two names, in [0, 1]."""
    from sijill.names import similarity

    console.print(f"{similarity(a, b):.4f}")

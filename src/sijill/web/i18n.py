"""The desk's two languages, French and Arabic (right to left), read from catalogues (data)."""

import json
from functools import lru_cache
from importlib import resources

DIRECTION = {"fr": "ltr", "ar": "rtl"}
DEFAULT = "fr"


@lru_cache(maxsize=4)
def catalogue(language: str) -> dict[str, str]:
    """Return the messages of one language, by key."""
    text = resources.files("sijill.web").joinpath("i18n", f"{language}.json").read_text(encoding="utf-8")
    messages: dict[str, str] = json.loads(text)
    return messages


class Translator:
    """Say a message, format a number or a share, in the language of one user."""

    def __init__(self, language: str) -> None:
        self.language = language if language in DIRECTION else DEFAULT
        self.direction = DIRECTION[self.language]

    def __call__(self, key: str, **values: object) -> str:
        text = catalogue(self.language).get(key) or catalogue(DEFAULT).get(key) or key
        return text.format(**values) if values else text

    def number(self, value: float, digits: int = 0) -> str:
        """Format a number as the language writes it (Western digits in both: Morocco's use)."""
        text = f"{value:,.{digits}f}"
        if self.language == "fr":
            return text.replace(",", "\u202f").replace(".", ",")
        return text

    def percent(self, share: float, digits: int = 1) -> str:
        """Format a share in [0, 1] as a percentage."""
        return f"{self.number(share * 100, digits)}\u00a0%"

    def signed(self, value: float, digits: int = 1) -> str:
        """Format a number with its sign (a match weight)."""
        return ("+" if value >= 0 else "−") + self.number(abs(value), digits)

"""Decide whether claims about a person (names, date of birth, sex) are true: the verify answer.

Names are tolerant of the spellings a person has across registries and scripts, through
`sijill.names`; a claim is held true when it is written as one of the person's registered
forms, or is as alike as the same name in two spellings are (NAME_MATCH). Look-alike names of
other persons (Karim / Karima, Said / Saad) score below it, and a name that is a held form
plus or minus a final vowel, the feminine or nisba ending (Karim / Karima, Mansour /
Mansouri), is refused whatever its score: verify is stricter than linkage, which may weigh
such pairs as one family. Dates and sex are strict: a full
date must equal the full date held; a year alone is checked against the year held; a full
date claimed against a year alone cannot be confirmed and is false.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sijill.names import (
    SpellingDictionary,
    is_arabic,
    normalise_arabic,
    normalise_latin,
    similarity,
    strict_key,
)

NAME_MATCH = 0.9


@dataclass(frozen=True)
class Claims:
    """What a caller says about a person; None for a claim not made."""

    family_name: str | None = None
    given_name: str | None = None
    date_of_birth: str | None = None
    sex: str | None = None

    @property
    def names(self) -> bool:
        """Return True when a name is claimed."""
        return bool(self.family_name or self.given_name)


def _normal(name: str) -> str:
    return normalise_arabic(name) if is_arabic(name) else normalise_latin(name)


def name_matches(claim: str, forms: Iterable[str], *, spellings: SpellingDictionary | None = None) -> bool:
    """Return True when a claimed name is one of these registered forms of the name, in any spelling.

    Example:
        >>> name_matches("Mohammed", ["محمد", "mhamed"])
        True
        >>> name_matches("Karima", ["كريم", "karim"])
        False
    """
    held = [f for f in forms if f]
    wanted = _normal(claim)
    if not wanted or not held:
        return False
    if any(wanted == _normal(f) for f in held):
        return True
    return any(
        similarity(claim, f, spellings=spellings) >= NAME_MATCH and not differ_by_ending(claim, f)
        for f in held
    )


def differ_by_ending(a: str, b: str) -> bool:
    """Return True when one name's strict key is the other's plus a final vowel (another name).

    Example:
        >>> differ_by_ending("Mansour", "المنصوري")
        True
    """
    short, long = sorted((strict_key(a), strict_key(b)), key=len)
    return bool(short) and len(long) == len(short) + 1 and long.startswith(short) and long[-1] in "AI"


def date_matches(claim: str, held: str | None) -> bool:
    """Return True when a claimed date of birth (YYYY-MM-DD or YYYY) agrees with the one held."""
    if not held:
        return False
    if len(claim) == 4:
        return held[:4] == claim
    return len(held) == 10 and held == claim


def claims_match(
    claims: Claims,
    *,
    family: list[str],
    given: list[str],
    birth_date: str | None,
    sex: str | None,
    more_names: Callable[[], tuple[list[str], list[str]]] | None = None,
    spellings: SpellingDictionary | None = None,
) -> bool:
    """Return True when every claim made is true of the person.

    `family` and `given` are the forms held at hand (the golden names); `more_names` is asked,
    only when those do not confirm a name, for the forms of every record of the person.
    """
    if claims.sex is not None and claims.sex != sex:
        return False
    if claims.date_of_birth is not None and not date_matches(claims.date_of_birth, birth_date):
        return False
    if _names_match(claims, family, given, spellings):
        return True
    if not claims.names or more_names is None:
        return False
    extra_family, extra_given = more_names()
    return _names_match(claims, family + extra_family, given + extra_given, spellings)


def _names_match(
    claims: Claims, family: list[str], given: list[str], spellings: SpellingDictionary | None
) -> bool:
    if claims.family_name is not None and not name_matches(claims.family_name, family, spellings=spellings):
        return False
    return claims.given_name is None or name_matches(claims.given_name, given, spellings=spellings)

"""When a registry sends a new version of a record: the same person corrected, or someone else?

A new version keeps the person of the version it replaces (a salary changed, a death added,
a typo in a name corrected), unless its content is evidence of another person: a different
sex, or both a different date of birth and different names. Then the register splits: the
new version is linked on its own evidence, and a person left with no record is retired.
"""

from collections.abc import Mapping
from typing import Any

from rapidfuzz.distance import Levenshtein

from sijill.names import loose_key

NAME_EDITS = 1  # a correction changes a name by a typo at most; more is another name


def _known(value: Any) -> bool:
    return value is not None and value == value and value != ""  # NaN and NA are not values


def _dates_differ(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Return True when two birth dates cannot be one date written twice."""
    if not (_known(old.get("birth_year")) and _known(new.get("birth_year"))):
        return False
    oy, ny = int(old["birth_year"]), int(new["birth_year"])
    full = all(_known(r.get(k)) for r in (old, new) for k in ("birth_month", "birth_day"))
    if not full:
        return abs(oy - ny) > 1
    a = (oy, int(old["birth_month"]), int(old["birth_day"]))
    b = (ny, int(new["birth_month"]), int(new["birth_day"]))
    swapped = a[0] == b[0] and a[1] == b[2] and a[2] == b[1]
    return not (swapped or sum(x == y for x, y in zip(a, b, strict=True)) >= 2)


def _name_key(record: Mapping[str, Any], part: str) -> str | None:
    for script in ("ar", "lat"):
        value = record.get(f"{part}_{script}")
        if _known(value):
            return loose_key(str(value)) or None
    return None


def _names_differ(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Return True when both the family and the given name changed by more than a typo."""
    for part in ("family", "given"):
        a, b = _name_key(old, part), _name_key(new, part)
        if a is None or b is None or Levenshtein.distance(a, b) <= NAME_EDITS:
            return False
    return True


def is_another_person(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Return True when a record's new version describes someone other than the old one.

    Example:
        >>> is_another_person({"sex": "M"}, {"sex": "F"})
        True
    """
    if _known(old.get("sex")) and _known(new.get("sex")) and old["sex"] != new["sex"]:
        return True
    return _dates_differ(old, new) and _names_differ(old, new)

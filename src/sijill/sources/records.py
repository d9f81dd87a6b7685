"""Turn one raw extract row into a source record: accepted with flags, or quarantined."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sijill.geo import is_known_commune
from sijill.names import is_arabic, normalise_arabic, normalise_latin
from sijill.sources.formats import SOURCE_ID_SHAPES, ExtractFormat
from sijill.sources.models import SourceRecord
from sijill.sources.parse import clean_card, is_card_shaped, parse_date, parse_sex

_ID_SHAPES = {k: re.compile(v) for k, v in SOURCE_ID_SHAPES.items()}
COMMUNE_CODE = r"^[0-9]{2}\.[0-9]{3}\."
_COMMUNE_CODE = re.compile(COMMUNE_CODE)


def _limit(column: str) -> int:
    length = getattr(SourceRecord.__table__.c[column].type, "length", None)
    assert isinstance(length, int)
    return length


# The longest value each column holds, read from the table: one behaviour on both backends.
SOURCE_ID_LIMIT = _limit("source_id")
NAME_LIMIT = _limit("family_ar")
# Secondary values: over-long ones are flagged (`<column>_too_long`) and not used.
SECONDARY_LIMITS = {
    c: _limit(c)
    for c in ("birth_place", "commune", "father_given_ar", "cnie", "guardian_cnie", "household_ref")
}
SOURCE_ID_TOO_LONG = f"source id longer than {SOURCE_ID_LIMIT} characters"
NAME_TOO_LONG = f"a name longer than {NAME_LIMIT} characters"


@dataclass
class ParsedRow:
    """The fields of a source record, ready to insert, or the reason it is quarantined."""

    values: dict[str, Any] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    reason: str | None = None


def row_hash(row: dict[str, str]) -> str:
    """Return a stable digest of a row's content, whatever the column order."""
    text = "\x1f".join(f"{k}\x1e{row[k]}" for k in sorted(row))
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _names(row: dict[str, str], columns: tuple[str, ...]) -> tuple[str | None, str | None]:
    """Return the (Arabic, Latin) forms of a name found in these columns, normalised."""
    arabic = latin = None
    for col in columns:
        value = (row.get(col) or "").strip()
        if not value:
            continue
        if is_arabic(value):
            arabic = arabic or normalise_arabic(value) or None
        else:
            latin = latin or normalise_latin(value) or None
    return arabic, latin


def _card(row: dict[str, str], column: str | None, flag: str, flags: list[str]) -> str | None:
    if column is None or not (row.get(column) or "").strip():
        return None
    card = clean_card(row[column])
    if not is_card_shaped(card):
        flags.append(flag)
    return card


def _place(row: dict[str, str], column: str | None, flags: list[str]) -> str | None:
    value = (row.get(column) or "").strip() if column else ""
    if not value:
        return None
    if _COMMUNE_CODE.match(value):
        if not is_known_commune(value):
            flags.append("commune_unknown")
        return value
    return normalise_latin(value) if not is_arabic(value) else normalise_arabic(value)


def _fit(values: dict[str, Any], flags: list[str]) -> None:
    """Flag and drop secondary values longer than their column (the raw row keeps them)."""
    for column, limit in SECONDARY_LIMITS.items():
        value = values.get(column)
        if value is not None and len(value) > limit:
            flags.append(f"{column}_too_long")
            values[column] = None


def _death(row: dict[str, str], fmt: ExtractFormat, birth: str, today: date, flags: list[str]) -> str | None:
    value = (row.get(fmt.death_column) or "").strip() if fmt.death_column else ""
    if not value:
        return None
    death = parse_date(value, today=today)
    if death is None or death.iso() < birth[: len(death.iso())]:
        flags.append("death_date_invalid")
        return None
    return death.iso()


def parse_row(row: dict[str, str], fmt: ExtractFormat, *, today: date) -> ParsedRow:
    """Parse one row of an extract into record fields, or say why it is quarantined."""
    out = ParsedRow()
    source_id = (row.get(fmt.id_column) or "").strip()
    if fmt.id_is_card:
        source_id = clean_card(source_id)
    if not source_id:
        out.reason = f"missing source id ({fmt.id_column})"
        return out
    if len(source_id) > SOURCE_ID_LIMIT:
        out.reason = SOURCE_ID_TOO_LONG
        return out
    if not _ID_SHAPES[fmt.source].match(source_id):
        out.flags.append("source_id_shape")
    family_ar, family_lat = _names(row, fmt.family_columns)
    given_ar, given_lat = _names(row, fmt.given_columns)
    has_name = (family_ar or family_lat) and (given_ar or given_lat)
    birth = parse_date(row.get("date_naissance") or "", today=today)
    if not has_name and birth is None:
        out.reason = "no usable name and no usable date of birth"
    elif not has_name:
        out.reason = "no usable name (family and given name needed)"
    elif birth is None:
        written = (row.get("date_naissance") or "").strip()
        out.reason = "unreadable date of birth" if written else "no date of birth"
    elif any(n is not None and len(n) > NAME_LIMIT for n in (family_ar, family_lat, given_ar, given_lat)):
        out.reason = NAME_TOO_LONG
    if out.reason:
        out.values["source_id"] = source_id
        return out
    assert birth is not None
    sex = parse_sex(row.get("sexe") or "")
    if sex is None and (row.get("sexe") or "").strip():
        out.flags.append("sex_invalid")
    card = source_id if fmt.id_is_card else _card(row, fmt.card_column, "cnie_shape", out.flags)
    father = (row.get(fmt.father_column) or "").strip() if fmt.father_column else ""
    out.values = {
        "source_id": source_id,
        "family_ar": family_ar,
        "given_ar": given_ar,
        "family_lat": family_lat,
        "given_lat": given_lat,
        "sex": sex,
        "birth_date": birth.iso(),
        "birth_precision": birth.precision,
        "birth_year": birth.year,
        "birth_month": birth.month,
        "birth_day": birth.day,
        "birth_place": _place(row, fmt.birth_place_column, out.flags),
        "commune": _place(row, fmt.commune_column, out.flags),
        "father_given_ar": normalise_arabic(father) if father and is_arabic(father) else None,
        "death_date": _death(row, fmt, birth.iso(), today, out.flags),
        "cnie": card,
        "guardian_cnie": _card(row, fmt.guardian_column, "guardian_cnie_shape", out.flags),
        "household_ref": (row.get(fmt.household_column) or "").strip() or None
        if fmt.household_column
        else None,
    }
    _fit(out.values, out.flags)
    return out

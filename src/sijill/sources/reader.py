"""Read extract files as streams of rows, refusing files that are not the promised CSV."""

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sijill.errors import BadExtract, UnknownSource
from sijill.sources.formats import FORMATS, ExtractFormat

_BLOCK = 1 << 20
csv.field_size_limit(1 << 20)


@dataclass(frozen=True)
class ExtractFile:
    """An extract file that passed the checks: its format, header, size and checksum."""

    path: Path
    format: ExtractFormat
    header: list[str]
    checksum: str
    size: int
    lines: int


def source_of(path: Path) -> ExtractFormat:
    """Return the registry format a file name stands for (civil.csv -> civil)."""
    fmt = FORMATS.get(path.stem.lower()) if path.suffix.lower() == ".csv" else None
    if fmt is None:
        known = ", ".join(f"{k}.csv" for k in FORMATS)
        raise UnknownSource(f"{path.name}: not an extract sijill knows ({known})")
    return fmt


def _checksum_and_check_utf8(path: Path) -> tuple[str, int]:
    """Return the file's SHA-256 and line count, refusing it when it is not UTF-8 text."""
    digest, decoder, offset = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")(), 0
    lines = 0
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
            lines += block.count(b"\n")
            if b"\x00" in block:
                raise BadExtract(f"{path.name}: binary content (NUL byte), not a CSV file")
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise BadExtract(
                    f"{path.name}: not UTF-8 text (byte 0x{block[exc.start]:02x} "
                    f"at offset {offset + exc.start}); re-export the extract as UTF-8"
                ) from exc
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise BadExtract(f"{path.name}: not UTF-8 text (truncated character at the end)") from exc
    return digest.hexdigest(), lines


def _header(path: Path, fmt: ExtractFormat) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        try:
            header = next(csv.reader(f))
        except StopIteration:
            raise BadExtract(f"{path.name}: empty file, no header row") from None
        except csv.Error as exc:
            raise BadExtract(f"{path.name}: not a CSV file ({exc})") from exc
    header = [h.strip().lower() for h in header]
    if fmt.id_column not in header:
        raise BadExtract(
            f"{path.name}: no column {fmt.id_column} in the header "
            f"(found {', '.join(header[:12]) or 'nothing'})"
        )
    if len(set(header)) != len(header):
        raise BadExtract(f"{path.name}: the header names a column twice")
    return header


def open_extract(path: Path) -> ExtractFile:
    """Check an extract file whole before anything of it is ingested."""
    fmt = source_of(path)
    checksum, lines = _checksum_and_check_utf8(path)
    return ExtractFile(path, fmt, _header(path, fmt), checksum, path.stat().st_size, lines)


def find_extracts(sources_dir: Path) -> list[ExtractFile]:
    """Return the checked extracts of a sources directory, in the contract's order."""
    if not sources_dir.is_dir():
        raise BadExtract(f"{sources_dir}: not a directory")
    found = [sources_dir / f"{name}.csv" for name in FORMATS]
    extracts = [open_extract(p) for p in found if p.exists()]
    if not extracts:
        raise BadExtract(f"{sources_dir}: holds none of {', '.join(f'{k}.csv' for k in FORMATS)}")
    return extracts


@dataclass(frozen=True)
class RawRow:
    """One data row: its number in the file, its values by column, or why it is unreadable."""

    number: int
    values: dict[str, str]
    problem: str | None


def read_rows(extract: ExtractFile) -> Iterator[RawRow]:
    """Stream the data rows of an extract; a row of the wrong width carries its problem."""
    width = len(extract.header)
    with extract.path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for number, fields in enumerate(reader, start=2):
            if not fields:
                continue
            values = dict(zip(extract.header, fields, strict=False))
            problem = None
            if len(fields) != width:
                problem = f"malformed row: {len(fields)} fields where the header has {width}"
            yield RawRow(number, values, problem)

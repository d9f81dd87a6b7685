"""Read extract files as streams of rows, refusing files that are not the promised CSV."""

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from sijill.errors import BadExtract, UnknownSource
from sijill.sources.formats import FORMATS, ExtractFormat

_BLOCK = 1 << 20
MAX_FIELD_CHARS = 1 << 16  # 64 KiB: no value of a registry's extract is longer
MAX_LINES_PER_ROW = 3  # a free-text field may hold a line break or two, never a file
RAW_LINE = "_line"  # the key under which a damaged line's text is kept whole
csv.field_size_limit(MAX_FIELD_CHARS)


@dataclass(frozen=True)
class ExtractFile:
    """An extract file that passed the checks: its format, header, size and checksum."""

    path: Path
    format: ExtractFormat
    header: list[str]
    checksum: str
    size: int
    lines: int
    # What `staging.stage_extract` needs to know to read the file in bulk: whether any
    # double quote occurs (a quoted field may span lines), and the physical lines the file
    # holds, header included (a last line without a line break counts).
    quoted: bool = True
    physical_lines: int = 0
    commas: int = 0
    lone_returns: int = 0  # carriage returns not followed by a line feed


def source_of(path: Path) -> ExtractFormat:
    """Return the registry format a file name stands for (civil.csv -> civil)."""
    fmt = FORMATS.get(path.stem.lower()) if path.suffix.lower() == ".csv" else None
    if fmt is None:
        known = ", ".join(f"{k}.csv" for k in FORMATS)
        raise UnknownSource(f"{path.name}: not an extract sijill knows ({known})")
    return fmt


@dataclass
class _Scan:
    checksum: str
    lines: int
    quoted: bool
    physical_lines: int
    commas: int
    lone_returns: int


def _checksum_and_check_utf8(path: Path) -> _Scan:
    """Return the file's SHA-256, line count and quotes, refusing it when it is not UTF-8 text."""
    digest, decoder, offset = hashlib.sha256(), codecs.getincrementaldecoder("utf-8")(), 0
    lines, quoted, commas, lone_returns, last = 0, False, 0, 0, b"\n"
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
            lines += block.count(b"\n")
            quoted = quoted or b'"' in block
            commas += block.count(b",")
            crlf = block.count(b"\r\n") + (last == b"\r" and block[:1] == b"\n")
            lone_returns += block.count(b"\r") - crlf
            last = block[-1:]
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
    return _Scan(digest.hexdigest(), lines, quoted, lines + (last != b"\n"), commas, lone_returns)


def _header(path: Path, fmt: ExtractFormat) -> list[str]:
    """Return the header (its first physical line), refusing one without the id column.

    The message never repeats the line: a file without its header starts with a person's data.
    """
    with path.open(encoding="utf-8-sig", newline="") as f:
        first = f.readline()
    if not first.strip():
        raise BadExtract(f"{path.name}: empty file, no header row")
    try:
        header = next(csv.reader([first], strict=True))
    except (csv.Error, StopIteration):
        raise BadExtract(f"{path.name}: the first line is not a CSV header") from None
    header = [h.strip().lower() for h in header]
    if fmt.id_column not in header:
        expected = ", ".join(fmt.expected_columns)
        raise BadExtract(
            f"{path.name}: no column {fmt.id_column} in the header, whose first line has "
            f"{len(header)} fields (is the header row missing?); expected columns: {expected}"
        )
    if len(set(header)) != len(header):
        raise BadExtract(f"{path.name}: the header names a column twice")
    return header


def open_extract(path: Path) -> ExtractFile:
    """Check an extract file whole before anything of it is ingested."""
    fmt = source_of(path)
    if path.is_dir():
        raise BadExtract(f"{path.name}: a directory, not a file")
    try:
        scan = _checksum_and_check_utf8(path)
        header = _header(path, fmt)
        size = path.stat().st_size
    except PermissionError:
        raise BadExtract(f"{path.name}: cannot be read (permission denied)") from None
    except OSError as exc:
        raise BadExtract(f"{path.name}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    return ExtractFile(
        path,
        fmt,
        header,
        scan.checksum,
        size,
        scan.lines,
        quoted=scan.quoted,
        physical_lines=scan.physical_lines,
        commas=scan.commas,
        lone_returns=scan.lone_returns,
    )


@dataclass(frozen=True)
class SourcesDirectory:
    """The checked extracts of a sources directory, and the other files it holds (ignored)."""

    extracts: list[ExtractFile]
    ignored: list[str]


def scan_sources(sources_dir: Path) -> SourcesDirectory:
    """Check every extract of a directory (names in any case), listing the other files.

    Two files that stand for one registry (civil.csv and CIVIL.csv) refuse the build.
    """
    if not sources_dir.is_dir():
        raise BadExtract(f"{sources_dir}: not a directory")
    try:
        entries = sorted(sources_dir.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        raise BadExtract(f"{sources_dir}: cannot be listed ({exc.strerror or type(exc).__name__})") from None
    by_source: dict[str, Path] = {}
    ignored: list[str] = []
    for entry in entries:
        name = entry.stem.lower() if entry.suffix.lower() == ".csv" else None
        if name not in FORMATS:
            ignored.append(entry.name)
            continue
        if name in by_source:
            first = by_source[name].name
            raise BadExtract(f"{sources_dir}: both {first} and {entry.name} stand for {name}.csv")
        by_source[name] = entry
    if not by_source:
        raise BadExtract(f"{sources_dir}: holds none of {', '.join(f'{k}.csv' for k in FORMATS)}")
    extracts = [open_extract(by_source[name]) for name in FORMATS if name in by_source]
    return SourcesDirectory(extracts, ignored)


def find_extracts(sources_dir: Path) -> list[ExtractFile]:
    """Return the checked extracts of a sources directory, in the contract's order."""
    return scan_sources(sources_dir).extracts


@dataclass(frozen=True)
class RawRow:
    """One data row: its first physical line, how many lines it spans, its values by column,
    and why it is unreadable (None when it reads well). A blank line is a row of no values."""

    number: int
    values: dict[str, str]
    problem: str | None
    lines: int = 1
    blank: bool = False


@dataclass
class RowChunk:
    """Consecutive rows of an extract, column-wise ready: one entry per row in each list.

    `fields` holds each row's values in header order (a damaged line: its whole text, under
    `RAW_LINE`, in `damaged`); `problem` says why a row is unreadable, None when it reads well.
    Blank lines are only counted.
    """

    numbers: list[int] = field(default_factory=list)
    spans: list[int] = field(default_factory=list)
    fields: list[list[str]] = field(default_factory=list)
    problems: list[str | None] = field(default_factory=list)
    damaged: dict[int, str] = field(default_factory=dict)
    blank_lines: int = 0

    def __len__(self) -> int:
        return len(self.numbers)

    def add(self, number: int, span: int, values: list[str], problem: str | None) -> None:
        self.numbers.append(number)
        self.spans.append(span)
        self.fields.append(values)
        self.problems.append(problem)


def _line_break_outside_free_text(fields: list[str], header: list[str], fmt: ExtractFormat) -> bool:
    pairs = zip(header, fields, strict=False)
    return any(("\n" in v or "\r" in v) and h not in fmt.free_text_columns for h, v in pairs)


def _damaged_id(text: str, header: list[str], fmt: ExtractFormat) -> list[str]:
    """Return the values of a damaged line: only its source id, when one can be read."""
    values = [""] * len(header)
    parts = text.rstrip("\r\n").split(",")
    if len(parts) == len(header):
        source_id = parts[header.index(fmt.id_column)].strip()
        if source_id and '"' not in source_id:
            values[header.index(fmt.id_column)] = source_id
    return values


@dataclass
class _Block:
    """Parse a block of physical lines; a damaged record gives back all lines but its first."""

    extract: ExtractFile
    lines: list[str]
    first_number: int
    final: bool
    chunk: RowChunk

    def parse(self) -> int:
        """Parse what can be parsed; return the index of the first line left for the next block."""
        pos = 0
        while pos < len(self.lines):
            pos = self._parse_from(pos)
            if pos < 0:
                return -pos - 1
        return pos

    def _parse_from(self, pos: int) -> int:
        """Parse records from line `pos` until one is damaged; return where to resume.

        Returns a negative number (-index - 1) when the block ends inside a record that the
        next block must complete.
        """
        header, fmt, width = self.extract.header, self.extract.format, len(self.extract.header)
        reader = csv.reader(islice(self.lines, pos, None), strict=True)
        done = 0
        chunk = self.chunk  # the hot loop appends to its lists directly
        numbers, spans, rows, problems = chunk.numbers, chunk.spans, chunk.fields, chunk.problems
        while True:
            start = pos + done
            try:
                fields = next(reader)
            except StopIteration:
                return len(self.lines)
            except csv.Error as exc:
                span = reader.line_num - done
                if "unexpected end of data" in str(exc) and not self.final and span <= MAX_LINES_PER_ROW:
                    return -start - 1
                return self._damage(start, _csv_problem(exc, span))
            span = reader.line_num - done
            done = reader.line_num
            if span > 1 and (
                span > MAX_LINES_PER_ROW
                or len(fields) != width
                or _line_break_outside_free_text(fields, header, fmt)
            ):
                return self._damage(start, f"unbalanced quote: the row would run over {span} lines")
            if not fields:
                chunk.blank_lines += 1
                continue
            numbers.append(self.first_number + start)
            spans.append(span)
            rows.append(fields)
            problems.append(
                None
                if len(fields) == width
                else (f"malformed row: {len(fields)} fields where the header has {width}")
            )

    def _damage(self, start: int, problem: str) -> int:
        text = self.lines[start]
        self.chunk.damaged[len(self.chunk)] = text.rstrip("\r\n")
        self.chunk.add(
            self.first_number + start, 1, _damaged_id(text, self.extract.header, self.extract.format), problem
        )
        return start + 1


def read_chunks(extract: ExtractFile, size: int = 20_000) -> Iterator[RowChunk]:
    """Stream the data rows of an extract in chunks, every physical line accounted for.

    A row of the wrong width carries its problem. A quoted field may hold a line break only
    in a free-text column (an address) and for at most `MAX_LINES_PER_ROW` lines: a stray
    quote that would swallow the lines after it makes a damaged line, kept whole with its
    problem, and reading resumes at the next physical line.
    """
    with extract.path.open(encoding="utf-8-sig", newline="") as f:
        f.readline()
        carry: list[str] = []
        number = 2  # the physical line number of carry[0] (or of the next line read)
        while True:
            fresh = list(islice(f, size))
            lines, final = carry + fresh, not fresh
            if not lines:
                return
            chunk = RowChunk()
            left = _Block(extract, lines, number, final, chunk).parse()
            carry, number = lines[left:], number + left
            yield chunk
            if final:
                return


def read_rows(extract: ExtractFile) -> Iterator[RawRow]:
    """Stream the data rows of an extract one by one (see `read_chunks`); blank lines too."""
    header = extract.header
    for chunk in read_chunks(extract, size=5_000):
        for i, (number, span, values, problem) in enumerate(
            zip(chunk.numbers, chunk.spans, chunk.fields, chunk.problems, strict=True)
        ):
            if i in chunk.damaged:
                row = {RAW_LINE: chunk.damaged[i]}
                source_id = values[header.index(extract.format.id_column)]
                if source_id:
                    row[extract.format.id_column] = source_id
                yield RawRow(number, row, problem, lines=span)
            else:
                yield RawRow(number, dict(zip(header, values, strict=False)), problem, lines=span)
        for _ in range(chunk.blank_lines):
            yield RawRow(0, {}, None, blank=True)


def _csv_problem(exc: csv.Error, span: int) -> str:
    text = str(exc)
    if span > 1 and ("field larger than field limit" in text or "unexpected end of data" in text):
        return f"unbalanced quote: the row would run over {span} lines"
    if "field larger than field limit" in text:
        return f"unreadable line: a field longer than {MAX_FIELD_CHARS:,} characters"
    if span > 1 or "unexpected end of data" in text:
        return f"unbalanced quote: the row would run over {max(span, 2)} lines"
    return "unreadable line: misplaced quote"

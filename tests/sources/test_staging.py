"""The vectorised parse (DuckDB SQL) decides every row as its Python twin `parse_row` does."""

import csv
import dataclasses
import io
import json
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sijill.sources.formats import FORMATS
from sijill.sources.reader import open_extract, read_rows
from sijill.sources.records import parse_row, row_hash
from sijill.sources.staging import PARSED_COLUMNS, duckdb_connection, parse_staged, stage_extract

TODAY = date(2026, 1, 1)
_PIECES = [
    "",
    " ",
    "\u00a0",
    "\u2003",
    "ALAOUI",
    "El Alaoui",
    "العلوي",
    "محمد",
    "Mhamed",
    "٠٥/١١/١٩٨٠",
    "05/11/1980",
    "1980-11-05",
    "31/02/1980",
    "1954",
    "2030-01-01",
    "M",
    "f",
    "Mme",
    "ذكر",
    "FÉMININ",
    "BK 123-456",
    "bk123456",
    "12X45",
    "04.441.01.01",
    "99.999.99.99",
    "Fes",
    "04.441.01.01/1998/00412",
    "123456789",
    "G131234567",
    "0" * 70,
    "A" * 140,
    "ß",
]
_VALUE = st.lists(st.sampled_from(_PIECES), min_size=0, max_size=3).map("".join)


def _write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _sql_rows(path: Path) -> list[dict[str, object]]:
    extract = open_extract(path)
    con = duckdb_connection()
    try:
        parse_staged(con, stage_extract(con, extract, chunk_size=7), today=TODAY)
        rows = con.execute(f"SELECT {', '.join(PARSED_COLUMNS)} FROM parsed ORDER BY line").fetchall()
    finally:
        con.close()
    return [dict(zip(PARSED_COLUMNS, r, strict=True)) for r in rows]


def _python_rows(path: Path) -> list[dict[str, object]]:
    extract = open_extract(path)
    out = []
    for raw in read_rows(extract):
        parsed = parse_row(raw.values, extract.format, today=TODAY) if raw.problem is None else None
        reason = raw.problem or (parsed.reason if parsed else None)
        row: dict[str, object] = {"reason": reason}
        if raw.problem is None:
            row["row_hash"] = row_hash(raw.values)
        if parsed is not None and not reason:
            row.update(parsed.values)
            row["flags"] = parsed.flags
        out.append(row)
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=st.sampled_from(sorted(FORMATS)), data=st.data())
def test_sql_and_python_parse_every_row_alike(tmp_path: Path, source: str, data: st.DataObject) -> None:
    fmt = FORMATS[source]
    header = list(dict.fromkeys([*fmt.expected_columns, "extra"]))
    rows = data.draw(st.lists(st.lists(_VALUE, min_size=len(header), max_size=len(header)), max_size=12))
    path = tmp_path / f"{source}.csv"
    _write_rows(path, header, rows)
    expected, got = _python_rows(path), _sql_rows(path)
    assert len(got) == len(expected)
    for want, have in zip(expected, got, strict=True):
        if isinstance(have.get("flags"), str):
            have["flags"] = json.loads(str(have["flags"]))
        assert {k: have[k] for k in want} == want


# Pieces of physical lines for the bulk reading of unquoted files: commas that make rows of
# the wrong width, blank and all-empty rows, carriage returns alone, long values.
_LINE_PIECES = ["a", "ب", " ", ",", ",,", "x,y", "\r", "0" * 40]


def _staged_rows(
    path: Path, *, quoted: bool | None = None
) -> tuple[list[tuple[object, ...]], tuple[int, ...]]:
    extract = open_extract(path)
    if quoted is not None:
        extract = dataclasses.replace(extract, quoted=quoted)
    con = duckdb_connection()
    try:
        staged = stage_extract(con, extract, chunk_size=5)
        rows = con.execute("SELECT * FROM staged ORDER BY line").fetchall()
    finally:
        con.close()
    return rows, (staged.rows, staged.lines, staged.blank_lines)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.lists(st.sampled_from(_LINE_PIECES), max_size=4).map("".join), max_size=10),
    width=st.integers(1, 3),
    ending=st.sampled_from(["\n", "\r\n"]),
    last_break=st.booleans(),
)
def test_unquoted_files_staged_in_bulk_as_line_by_line(
    tmp_path: Path, lines: list[str], width: int, ending: str, last_break: bool
) -> None:
    header = ["acte_id", "nom_ar", "extra"][:width]
    text = ending.join([",".join(header), *lines]) + (ending if last_break else "")
    path = tmp_path / "civil.csv"
    path.write_bytes(text.encode())
    assert not open_extract(path).quoted
    assert _staged_rows(path) == _staged_rows(path, quoted=True)


def test_a_clean_unquoted_file_is_staged_in_bulk_and_a_doubtful_one_line_by_line(tmp_path: Path) -> None:
    from sijill.sources.staging import _stage_plain

    def plain(text: str) -> int | None:
        path = tmp_path / "civil.csv"
        path.write_bytes(text.encode())
        con = duckdb_connection()
        try:
            stage_extract(con, dataclasses.replace(open_extract(path), quoted=True), chunk_size=5)
            con.execute("DELETE FROM staged")
            return _stage_plain(con, open_extract(path))
        finally:
            con.close()

    assert plain("acte_id,nom_ar\r\nA1,محمد\r\nA2,\r\n") == 2
    assert plain("acte_id,nom_ar\nA1,x\nA2,y") == 2  # no break after the last line
    assert plain("acte_id,nom_ar\nA1,x\n\nA2,y\n") is None  # a blank line
    assert plain("acte_id,nom_ar\nA1,x,z\n") is None  # a row of another width
    assert plain("acte_id,nom_ar\nA1,x,\n") is None  # a trailing empty field
    assert plain("acte_id,nom_ar\nA1,x\rA2,y\n") is None  # a carriage return alone
    assert plain("acte_id,nom_ar\n,\n") is None  # a row wholly empty
    assert plain(f"acte_id,nom_ar\nA1,{'x' * 70_000}\n") is None  # longer than the field limit
    quoted = tmp_path / "civil.csv"
    quoted.write_text('acte_id,nom_ar\nA1,"x, y"\n')
    assert open_extract(quoted).quoted

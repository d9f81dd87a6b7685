"""The vectorised parse (DuckDB SQL) decides every row as its Python twin `parse_row` does."""

import csv
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

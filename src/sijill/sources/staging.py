"""Parse a whole extract at once in DuckDB: the vectorised twin of `records.parse_row`.

Rows are read by `reader.read_chunks` (which accounts for every physical line) and staged in
an in-process DuckDB table, spilling to disk past its memory limit; dates, codes, cards,
flags and quarantine reasons are then SQL expressions over the whole file, and names and
places are normalised once per distinct value (a country's vocabulary is tens of thousands
of spellings, not millions) and joined back. `parse_row` stays the reference: a parity test
runs both on the same rows, and whatever one decides the other must decide alike.
"""

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import pyarrow as pa

from sijill.geo import communes
from sijill.names import is_arabic, normalise_arabic, normalise_latin
from sijill.sources.formats import SOURCE_ID_SHAPES, ExtractFormat
from sijill.sources.parse import (
    ARABIC_DIGITS,
    ASCII_DIGITS,
    CARD_SEPARATORS,
    EARLIEST_YEAR,
    LOWER_ASCII,
    SEX_CODES,
    SEX_LOWER,
    SEX_UPPER,
    UPPER_ASCII,
)
from sijill.sources.reader import MAX_FIELD_CHARS, RAW_LINE, ExtractFile, RowChunk, read_chunks
from sijill.sources.records import (
    COMMUNE_CODE,
    NAME_LIMIT,
    NAME_TOO_LONG,
    SECONDARY_LIMITS,
    SOURCE_ID_LIMIT,
    SOURCE_ID_TOO_LONG,
    row_hash,
)

# Every character Python's str.strip() removes, for DuckDB's trim(value, characters).
SPACES = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
_CARD_SEPARATORS_SQL = CARD_SEPARATORS.replace(r"\s", "".join(f"\\x{{{ord(c):x}}}" for c in SPACES))


def sql_text(value: str) -> str:
    """Return a SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def duckdb_connection() -> Any:
    """Return an in-process DuckDB with this machine's limits, spilling to a temp directory."""
    import duckdb

    from sijill.settings import get_settings

    settings = get_settings()
    con = duckdb.connect()
    con.execute(f"SET memory_limit={sql_text(settings.duckdb_memory_limit)}")
    con.execute(f"SET threads={settings.duckdb_threads}")
    con.execute(f"SET temp_directory={sql_text(tempfile.gettempdir() + '/sijill-duckdb')}")
    con.execute("SET preserve_insertion_order=true")
    return con


@dataclass
class StagedFile:
    """An extract staged in DuckDB as table `staged`: its rows, lines and blank lines."""

    extract: ExtractFile
    rows: int = 0
    lines: int = 0
    blank_lines: int = 0


def _problem_row(chunk: RowChunk, i: int, header: list[str]) -> tuple[str, str]:
    """Return (row hash, raw JSON) of a row the reader found unreadable, kept whole."""
    if i in chunk.damaged:
        values: dict[str, Any] = {RAW_LINE: chunk.damaged[i]}
    else:
        fields = chunk.fields[i]
        values = dict(zip(header, fields, strict=False))
        if len(fields) > len(header):
            values["_extra"] = fields[len(header) :]
    as_text = {k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in values.items()}
    return row_hash(as_text), orjson.dumps(values).decode()


def _arrow_chunk(chunk: RowChunk, header: list[str]) -> pa.Table:
    width = len(header)
    hashes: list[str | None] = [None] * len(chunk)
    raws: list[str | None] = [None] * len(chunk)
    fields = chunk.fields
    for i, problem in enumerate(chunk.problems):
        if problem is not None:
            hashes[i], raws[i] = _problem_row(chunk, i, header)
            fields[i] = (fields[i] + [""] * width)[:width]
    columns = list(zip(*fields, strict=True)) if fields else [() for _ in header]
    data: dict[str, Any] = {
        "line": pa.array(chunk.numbers, pa.int64()),
        "span": pa.array(chunk.spans, pa.int32()),
        "problem": pa.array(chunk.problems, pa.string()),
        "py_hash": pa.array(hashes, pa.string()),
        "py_raw": pa.array(raws, pa.string()),
    }
    for i in range(width):
        data[f"c{i}"] = pa.array(columns[i], pa.string())
    return pa.table(data)


def stage_extract(
    con: Any, extract: ExtractFile, *, chunk_size: int, on_rows: Callable[[int], None] | None = None
) -> StagedFile:
    """Read an extract into the DuckDB table `staged` (one row a data row, values as text)."""
    header = extract.header
    cols = ", ".join(f"c{i} VARCHAR" for i in range(len(header)))
    con.execute("DROP TABLE IF EXISTS staged")
    con.execute(
        "CREATE TABLE staged (line BIGINT, span INTEGER, problem VARCHAR, py_hash VARCHAR, "
        f"py_raw VARCHAR, {cols})"
    )
    staged = StagedFile(extract)
    if not extract.quoted and (rows := _stage_plain(con, extract)) is not None:
        staged.rows = staged.lines = rows
        if on_rows:
            on_rows(rows)
        return staged
    for chunk in read_chunks(extract, size=chunk_size):
        staged.rows += len(chunk)
        staged.lines += sum(chunk.spans) + chunk.blank_lines
        staged.blank_lines += chunk.blank_lines
        if len(chunk):
            con.register("chunk_rows", _arrow_chunk(chunk, header))
            con.execute("INSERT INTO staged SELECT * FROM chunk_rows")
            con.unregister("chunk_rows")
        if on_rows:
            on_rows(len(chunk) + chunk.blank_lines)
    return staged


def _plain_read_sql(extract: ExtractFile) -> str:
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(extract.header))) + "}"
    return (
        f"read_csv({sql_text(str(extract.path))}, columns={columns}, header=false, skip=1, "
        "delim=',', quote='', escape='', comment='', auto_detect=false, strict_mode=true, "
        "null_padding=false, ignore_errors=false, all_varchar=true, parallel=false)"
    )


def _stage_plain(con: Any, extract: ExtractFile) -> int | None:
    """Stage a file without a double quote in one DuckDB scan; None when it is not that
    simple, and `read_chunks` must account for its lines one by one.

    Without a quote, every physical line is one row split at its commas: what Python's
    `csv` makes of it too, as long as DuckDB's scan kept every line as one row of the
    header's width. So the scan stands only when every line holds the header's count of
    commas, the scan is strict (a row of another width stops it), it holds one row per data
    line (no blank line skipped, no line break merged), and no value holds a carriage
    return, is longer than `reader.MAX_FIELD_CHARS`, or leaves a row wholly empty (a blank
    line, to Python's reader). Its values and line numbers are then those of `read_chunks`:
    a parity test stages files both ways.
    """
    import duckdb

    width = len(extract.header)
    if extract.commas != (width - 1) * extract.physical_lines or extract.lone_returns:
        return None  # a line of another width (DuckDB lets a trailing empty field go), or a
        # carriage return alone, a line break to Python's reader and not to DuckDB's
    cols = [f"c{i}" for i in range(width)]
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE plain_rows AS SELECT * FROM {_plain_read_sql(extract)}")
    except duckdb.Error:
        return None
    try:
        checks = ", ".join(f"max(length({c})), bool_or(contains({c}, chr(13)))" for c in cols)
        found = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE {' AND '.join(f'{c} IS NULL' for c in cols)}), "
            f"{checks} FROM plain_rows"
        ).fetchone()
        rows, empty, per_column = found[0], found[1], found[2:]
        longest = max((v or 0 for v in per_column[0::2]), default=0)
        if rows + 1 != extract.physical_lines or empty or longest > MAX_FIELD_CHARS or any(per_column[1::2]):
            return None
        values = ", ".join(f"coalesce({c}, '')" for c in cols)
        con.execute(f"INSERT INTO staged SELECT rowid + 2, 1, NULL, NULL, NULL, {values} FROM plain_rows")
        return int(rows)
    finally:
        con.execute("DROP TABLE IF EXISTS plain_rows")


# ---------------------------------------------------------------------------------------
# The parse, as SQL over `staged`.


def _col(header: list[str], name: str | None) -> str:
    """The raw value of a column (`c<i>`), or '' when the extract lacks it."""
    return f"c{header.index(name)}" if name and name in header else "''"


def _t(header: list[str], name: str | None) -> str:
    """The trimmed value of a column (`t<i>`, trimmed once), or '' when the extract lacks it."""
    return f"t{header.index(name)}" if name and name in header else "''"


_SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in SPACES) + "]"
_TRIM = sql_text(f"^{_SPACE_CLASS}+|{_SPACE_CLASS}+$")


def _trim(expr: str) -> str:
    """The SQL twin of str.strip() (RE2 is much faster here than trim(value, characters))."""
    return f"regexp_replace({expr}, {_TRIM}, '', 'g')"


def _clean_card(expr: str) -> str:
    removed = f"regexp_replace({expr}, {sql_text(_CARD_SEPARATORS_SQL)}, '', 'g')"
    return f"translate({removed}, {sql_text(LOWER_ASCII)}, {sql_text(UPPER_ASCII)})"


_ISO = "^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$"
_DMY = "^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$"
_YEAR = "^([0-9]{4})$"


def create_macros(con: Any) -> None:
    """Define the SQL twins of `parse.parse_date` (a struct y, m, d, iso, precision, or NULL)."""
    ar, asc = sql_text(ARABIC_DIGITS), sql_text(ASCII_DIGITS)
    con.execute(f"""CREATE OR REPLACE MACRO sj_parts(v) AS CASE
      WHEN regexp_matches(v, '{_ISO}') THEN {{'kind': 'day', 'y': regexp_extract(v, '{_ISO}', 1)::INTEGER,
        'm': regexp_extract(v, '{_ISO}', 2)::INTEGER, 'd': regexp_extract(v, '{_ISO}', 3)::INTEGER}}
      WHEN regexp_matches(v, '{_DMY}') THEN {{'kind': 'day', 'y': regexp_extract(v, '{_DMY}', 3)::INTEGER,
        'm': regexp_extract(v, '{_DMY}', 2)::INTEGER, 'd': regexp_extract(v, '{_DMY}', 1)::INTEGER}}
      WHEN regexp_matches(v, '{_YEAR}') THEN {{'kind': 'year', 'y': v::INTEGER, 'm': NULL::INTEGER,
        'd': NULL::INTEGER}}
    END""")
    con.execute(f"""CREATE OR REPLACE MACRO sj_valid(p, today) AS CASE
      WHEN p.kind = 'day' AND try(make_date(p.y, p.m, p.d)) <= today AND p.y >= {EARLIEST_YEAR}
      THEN {{'y': p.y, 'm': p.m, 'd': p.d, 'iso': strftime(try(make_date(p.y, p.m, p.d)), '%Y-%m-%d'),
             'precision': 'day'}}
      WHEN p.kind = 'year' AND p.y BETWEEN {EARLIEST_YEAR} AND year(today)
      THEN {{'y': p.y, 'm': NULL::INTEGER, 'd': NULL::INTEGER, 'iso': lpad(p.y::VARCHAR, 4, '0'),
             'precision': 'year'}}
    END""")
    con.execute(f"CREATE OR REPLACE MACRO sj_date_text(raw) AS translate(raw, {ar}, {asc})")


def _date_text(expr: str) -> str:
    """Return the SQL of a written date, trimmed and in ASCII digits, not yet parsed.

    Text, parts (`sj_parts`) and checks (`sj_valid`) are columns of successive steps: a
    macro expands its argument at every use, and each step uses the one before a dozen times.
    """
    return f"sj_date_text({expr})"


def _sex(expr: str) -> str:
    key = f"translate({expr}, {sql_text(SEX_LOWER)}, {sql_text(SEX_UPPER)})"
    males = ", ".join(sql_text(k) for k, v in SEX_CODES.items() if v == "M")
    females = ", ".join(sql_text(k) for k, v in SEX_CODES.items() if v == "F")
    return f"CASE WHEN {key} IN ({males}) THEN 'M' WHEN {key} IN ({females}) THEN 'F' END"


def _row_hash_sql(header: list[str]) -> str:
    """The SQL twin of `records.row_hash` for a row of the header's width."""
    parts = [f"{sql_text(k + chr(0x1E))} || c{header.index(k)}" for k in sorted(header)]
    return "md5(" + (" || '\x1f' || ".join(parts) if parts else "''") + ")"


def _raw_json_sql(header: list[str]) -> str:
    pairs = ", ".join(f"{sql_text(h)}, c{i}" for i, h in enumerate(header))
    return f"json_object({pairs})::VARCHAR"


def load_forms(con: Any, staged: StagedFile, *, rows: str = "staged") -> None:
    """Normalise every distinct name and place value of `rows` once, into the DuckDB table
    `forms`."""
    fmt, header = staged.extract.format, staged.extract.header
    columns = [*fmt.family_columns, *fmt.given_columns, fmt.father_column, fmt.birth_place_column]
    columns.append(fmt.commune_column)
    present = [c for c in dict.fromkeys(columns) if c and c in header]
    values: list[str] = []
    if present:
        union = " UNION ".join(f"SELECT {_trim(_col(header, c))} AS v FROM {rows}" for c in present)
        values = [v for (v,) in con.execute(f"SELECT DISTINCT v FROM ({union}) WHERE v <> ''").fetchall()]
    arabic = [is_arabic(v) for v in values]
    norm = [normalise_arabic(v) if a else normalise_latin(v) for v, a in zip(values, arabic, strict=True)]
    forms = pa.table(
        {
            "v": pa.array(values, pa.string()),
            "arabic": pa.array(arabic, pa.bool_()),
            "norm": pa.array(norm, pa.string()),
            "norm_len": pa.array([len(n) for n in norm], pa.int32()),
        }
    )
    con.register("forms_arrow", forms)
    con.execute("CREATE OR REPLACE TABLE forms AS SELECT * FROM forms_arrow")
    con.unregister("forms_arrow")
    con.register("known_arrow", pa.table({"code": pa.array(sorted(communes()), pa.string())}))
    con.execute("CREATE OR REPLACE TABLE known_communes AS SELECT * FROM known_arrow")
    con.unregister("known_arrow")


def _names_sql(header: list[str], columns: tuple[str, ...], alias: str) -> tuple[str, str, list[str]]:
    """Return (arabic, latin) expressions of a name read from these columns, and their joins."""
    arabic, latin, joins = [], [], []
    for i, column in enumerate(c for c in columns if c in header):
        f = f"{alias}{i}"
        joins.append(f"LEFT JOIN forms {f} ON {f}.v = {_t(header, column)}")
        arabic.append(f"CASE WHEN {f}.arabic THEN nullif({f}.norm, '') END")
        latin.append(f"CASE WHEN NOT {f}.arabic THEN nullif({f}.norm, '') END")
    ar = f"coalesce({', '.join(arabic)})" if arabic else "NULL::VARCHAR"
    la = f"coalesce({', '.join(latin)})" if latin else "NULL::VARCHAR"
    return ar, la, joins


def _place_sql(header: list[str], column: str | None, alias: str) -> tuple[str, str, list[str]]:
    """Return (value, unknown-commune flag) expressions of a place column, and its join."""
    if not column or column not in header:
        return "NULL::VARCHAR", "false", []
    v = _t(header, column)
    code = f"regexp_matches({v}, {sql_text(COMMUNE_CODE)})"
    join = f"LEFT JOIN forms {alias} ON {alias}.v = {v}"
    value = f"CASE WHEN {v} = '' THEN NULL WHEN {code} THEN {v} ELSE {alias}.norm END"
    unknown = f"({v} <> '' AND {code} AND {v} NOT IN (SELECT code FROM known_communes))"
    return value, unknown, [join]


def _card_sql(header: list[str], column: str | None) -> tuple[str, str]:
    """Return (card, not card-shaped flag) expressions of a card column."""
    if not column or column not in header:
        return "NULL::VARCHAR", "false"
    card = f"CASE WHEN {_t(header, column)} <> '' THEN {_clean_card(_col(header, column))} END"
    return card, f"({card} IS NOT NULL AND NOT regexp_matches({card}, '^[A-Z]{{1,2}}[0-9]{{1,7}}$'))"


def _sid_sql(fmt: ExtractFormat, header: list[str]) -> str:
    """The source id as read from its column (trimmed; a card cleaned), before any check."""
    sid = _t(header, fmt.id_column)
    return _clean_card(sid) if fmt.id_is_card else sid


def _trims(header: list[str]) -> str:
    return ", ".join(f"{_trim(f'c{i}')} AS t{i}" for i in range(len(header)))


def _source_id_sql(sid: str) -> str:
    """The source id a parsed row keeps: none for an unreadable row, an empty or too long id."""
    return f"CASE WHEN problem IS NULL AND {sid} <> '' AND length({sid}) <= {SOURCE_ID_LIMIT} THEN {sid} END"


# The key a row is classified under, in `parsed` and `held` alike: its source id, else its hash.
ROW_KEY_SQL = "coalesce('i' || source_id, 'h' || row_hash)"


def settle_unchanged(con: Any, fmt: ExtractFormat, header: list[str]) -> int:
    """Find the rows the register already holds as they are, before parsing them: table
    `settled` (line, span, row_hash, source_id); return how many.

    A row is settled when its key (source id, else row hash) is first seen on its line in the
    file and the register holds that key with that row hash (table `held_by_key`): the
    classification would call it unchanged whatever its parse gives, so the parse is spared
    (a delta extract is nearly all such rows). Later rows of the same key are parsed as ever,
    so duplicates within the file keep their reasons.
    """
    sid = _sid_sql(fmt, header)
    con.execute(f"""
CREATE OR REPLACE TABLE settled AS
WITH read AS (
  SELECT line, span,
    CASE WHEN problem IS NULL THEN {_row_hash_sql(header)} ELSE py_hash END AS row_hash,
    {_source_id_sql(sid)} AS source_id
  FROM (SELECT *, {_trims(header)} FROM staged) s
), keyed AS (
  SELECT *, {ROW_KEY_SQL} AS k FROM read
), ranked AS (
  SELECT *, min(line) OVER (PARTITION BY k) AS first_line FROM keyed
)
SELECT r.line, r.span, r.row_hash, r.source_id
FROM ranked r JOIN held_by_key h ON h.k = r.k
WHERE r.line = r.first_line AND list_contains(h.hashes, r.row_hash)
""")
    return int(con.execute("SELECT count(*) FROM settled").fetchone()[0])


def parse_sql(fmt: ExtractFormat, header: list[str], today: date, *, rows: str = "staged") -> str:
    """Return the SELECT that parses `rows` (default `staged`) into source-record fields,
    reason and flags."""
    sid = _sid_sql(fmt, header)
    family_ar, family_lat, joins = _names_sql(header, fmt.family_columns, "ff")
    given_ar, given_lat, given_joins = _names_sql(header, fmt.given_columns, "gf")
    place, place_unknown, place_join = _place_sql(header, fmt.birth_place_column, "bp")
    commune, commune_unknown, commune_join = _place_sql(header, fmt.commune_column, "cm")
    joins += given_joins + place_join + commune_join
    if fmt.father_column and fmt.father_column in header:
        joins.append(f"LEFT JOIN forms fa ON fa.v = {_t(header, fmt.father_column)}")
        father = "CASE WHEN fa.arabic THEN fa.norm END"
    else:
        father = "NULL::VARCHAR"
    card, card_bad = ("sid", "false") if fmt.id_is_card else _card_sql(header, fmt.card_column)
    guardian, guardian_bad = _card_sql(header, fmt.guardian_column)
    household = f"nullif({_t(header, fmt.household_column)}, '')" if fmt.household_column else "NULL"
    death_col = _t(header, fmt.death_column) if fmt.death_column else "''"
    date_written = _t(header, "date_naissance")
    long_name = " OR ".join(
        f"coalesce(length({n}) > {NAME_LIMIT}, false)" for n in (family_ar, family_lat, given_ar, given_lat)
    )
    shape = sql_text(SOURCE_ID_SHAPES[fmt.source])
    trims = _trims(header)
    return f"""
WITH base AS (
  SELECT s.line, s.span, s.problem, s.py_hash, s.py_raw,
    {sid} AS sid,
    {family_ar} AS family_ar, {family_lat} AS family_lat,
    {given_ar} AS given_ar, {given_lat} AS given_lat,
    {_date_text(_t(header, "date_naissance"))} AS birth_text,
    {date_written} AS date_written,
    {_sex(_t(header, "sexe"))} AS sex, {_t(header, "sexe")} <> '' AS sex_written,
    {place} AS birth_place_v, {place_unknown} AS place_unknown,
    {commune} AS commune_v, {commune_unknown} AS commune_unknown,
    {father} AS father_given_ar_v,
    {death_col} AS death_written, {_date_text(death_col)} AS death_text,
    {guardian} AS guardian_cnie_v, {guardian_bad} AS guardian_bad,
    {household} AS household_ref_v,
    {card} AS cnie_v, {card_bad} AS card_bad,
    ({long_name}) AS long_name,
    CASE WHEN s.problem IS NULL THEN {_row_hash_sql(header)} ELSE s.py_hash END AS row_hash,
    CASE WHEN s.problem IS NULL THEN {_raw_json_sql(header)} ELSE s.py_raw END AS raw
  FROM (SELECT *, {trims} FROM {rows}) s {" ".join(joins)}
), parted AS (
  SELECT *, sj_parts(birth_text) AS birth_parts, sj_parts(death_text) AS death_parts FROM base
), dated AS (
  SELECT *, sj_valid(birth_parts, DATE '{today.isoformat()}') AS birth,
    sj_valid(death_parts, DATE '{today.isoformat()}') AS death
  FROM parted
), carded AS (
  SELECT *,
    (family_ar IS NOT NULL OR family_lat IS NOT NULL)
      AND (given_ar IS NOT NULL OR given_lat IS NOT NULL) AS has_name
  FROM dated
), reasoned AS (
  SELECT *,
    CASE
      WHEN problem IS NOT NULL THEN problem
      WHEN sid = '' THEN {sql_text(f"missing source id ({fmt.id_column})")}
      WHEN length(sid) > {SOURCE_ID_LIMIT} THEN {sql_text(SOURCE_ID_TOO_LONG)}
      WHEN NOT has_name AND birth IS NULL THEN 'no usable name and no usable date of birth'
      WHEN NOT has_name THEN 'no usable name (family and given name needed)'
      WHEN birth IS NULL AND date_written <> '' THEN 'unreadable date of birth'
      WHEN birth IS NULL THEN 'no date of birth'
      WHEN long_name THEN {sql_text(NAME_TOO_LONG)}
    END AS reason,
    death_written <> '' AND (death IS NULL OR death.iso < left(birth.iso, length(death.iso)))
      AS death_bad
  FROM carded
)
SELECT line, span, row_hash, raw, reason,
  {_source_id_sql("sid")} AS source_id,
  family_ar, given_ar, family_lat, given_lat, sex,
  birth.iso AS birth_date, birth.precision AS birth_precision,
  birth.y AS birth_year, birth.m AS birth_month, birth.d AS birth_day,
  {_fitted("birth_place")}, {_fitted("commune")}, {_fitted("father_given_ar")},
  CASE WHEN NOT death_bad THEN death.iso END AS death_date,
  {_fitted("cnie")}, {_fitted("guardian_cnie")}, {_fitted("household_ref")},
  CASE WHEN reason IS NOT NULL THEN '[]' ELSE to_json(list_filter([
    CASE WHEN NOT regexp_matches(sid, {shape}) THEN 'source_id_shape' END,
    CASE WHEN sex IS NULL AND sex_written THEN 'sex_invalid' END,
    CASE WHEN card_bad THEN 'cnie_shape' END,
    CASE WHEN place_unknown THEN 'commune_unknown' END,
    CASE WHEN commune_unknown THEN 'commune_unknown' END,
    CASE WHEN death_bad THEN 'death_date_invalid' END,
    CASE WHEN guardian_bad THEN 'guardian_cnie_shape' END,
    {", ".join(_too_long_flag(c) for c in SECONDARY_LIMITS)}
  ], lambda x: x IS NOT NULL))::VARCHAR END AS flags
FROM reasoned
"""


def _fitted(column: str) -> str:
    return f"CASE WHEN length({column}_v) <= {SECONDARY_LIMITS[column]} THEN {column}_v END AS {column}"


def _too_long_flag(column: str) -> str:
    return f"CASE WHEN length({column}_v) > {SECONDARY_LIMITS[column]} THEN '{column}_too_long' END"


PARSED_COLUMNS = (
    "line",
    "span",
    "row_hash",
    "raw",
    "reason",
    "source_id",
    "family_ar",
    "given_ar",
    "family_lat",
    "given_lat",
    "sex",
    "birth_date",
    "birth_precision",
    "birth_year",
    "birth_month",
    "birth_day",
    "birth_place",
    "commune",
    "father_given_ar",
    "death_date",
    "cnie",
    "guardian_cnie",
    "household_ref",
    "flags",
)


def parse_staged(con: Any, staged: StagedFile, *, today: date, settle: bool = False) -> int:
    """Parse the staged rows into the DuckDB table `parsed` (`PARSED_COLUMNS`).

    With `settle`, the rows the register holds unchanged (`settle_unchanged`, which reads the
    table `held_by_key`) are not parsed: they enter `parsed` with their line, hash and source
    id only, which is all their classification reads. Return how many were settled so.
    """
    fmt, header = staged.extract.format, staged.extract.header
    rows, settled = "staged", 0
    if settle:
        settled = settle_unchanged(con, fmt, header)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW unsettled AS SELECT * FROM staged ANTI JOIN settled USING (line)"
        )
        rows = "unsettled"
    load_forms(con, staged, rows=rows)
    create_macros(con)
    sql = parse_sql(fmt, header, today, rows=rows)
    con.execute(f"CREATE OR REPLACE TABLE parsed AS {sql}")
    if settle:
        con.execute(
            "INSERT INTO parsed (line, span, row_hash, source_id) "
            "SELECT line, span, row_hash, source_id FROM settled"
        )
    return settled


def fetch_batches(con: Any, sql: str, size: int = 50_000) -> Iterator[list[tuple[Any, ...]]]:
    """Yield the rows of a DuckDB query in batches of plain tuples."""
    cursor = con.execute(sql)
    while batch := cursor.fetchmany(size):
        yield batch

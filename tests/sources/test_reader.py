import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sijill.errors import BadExtract, UnknownSource
from sijill.sources.reader import find_extracts, open_extract, read_chunks, read_rows, scan_sources


def _write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_a_file_without_its_id_column_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "massar.csv", "nom_fr,prenom_fr\nAlaoui,Mohamed\n")
    with pytest.raises(BadExtract, match=r"massar\.csv: no column code_massar"):
        open_extract(path)


def test_a_file_not_in_utf8_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "cnss.csv", "num_immatriculation,nom\n123456789,B\xe9ni\n".encode("latin-1"))
    with pytest.raises(BadExtract, match="not UTF-8"):
        open_extract(path)


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "civil.csv", b"PK\x03\x04\x00\x00binary")
    with pytest.raises(BadExtract, match="binary"):
        open_extract(path)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadExtract, match="empty"):
        open_extract(_write(tmp_path / "cnie.csv", ""))


def test_an_unknown_file_name_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnknownSource, match="not an extract"):
        open_extract(_write(tmp_path / "people.csv", "id\n1\n"))


def test_a_directory_without_extracts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BadExtract, match="holds none of"):
        find_extracts(tmp_path)


def test_columns_in_any_order_and_unknown_columns_are_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "cnss.csv", "extra,nom,num_immatriculation\nx,ALAOUI,123456789\n")
    rows = list(read_rows(open_extract(path)))
    assert rows[0].values == {"extra": "x", "nom": "ALAOUI", "num_immatriculation": "123456789"}


def test_a_row_of_the_wrong_width_carries_its_problem(tmp_path: Path) -> None:
    path = _write(tmp_path / "cnss.csv", "num_immatriculation,nom\n123456789,A,extra\n")
    (row,) = read_rows(open_extract(path))
    assert row.problem == "malformed row: 3 fields where the header has 2"


CIVIL_HEADER = "acte_id,nom_ar,prenom_ar,nom_fr,prenom_fr,sexe,date_naissance,commune_naissance\n"


def _civil_line(i: int) -> str:
    return f"04.441.01.01/1998/{i:05d},العلوي,محمد,ALAOUI,MOHAMED,M,1998-02-03,04.441.01.01\n"


def _physical_lines(path: Path) -> int:
    """Count the lines after the header: each ended by \\n, \\r\\n or \\r, and a last unended one."""
    text = path.read_text(encoding="utf-8-sig")
    return len(re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)) - 1


def test_a_stray_quote_costs_its_own_line_and_nothing_else(tmp_path: Path) -> None:
    lines = [_civil_line(i) for i in range(1, 2819)]
    lines[1399] = lines[1399].replace(",محمد,", ',"محمد,')  # line 1,401 of the file
    path = _write(tmp_path / "civil.csv", CIVIL_HEADER + "".join(lines))
    rows = list(read_rows(open_extract(path)))
    assert len(rows) == 2818
    damaged = [r for r in rows if r.problem]
    assert [r.number for r in damaged] == [1401]
    assert damaged[0].problem is not None and "unbalanced quote" in damaged[0].problem
    assert damaged[0].values["_line"] == lines[1399].rstrip("\n")  # kept whole
    assert [r.number for r in rows] == list(range(2, 2820))


def test_a_quoted_line_break_is_kept_in_a_free_text_column_only(tmp_path: Path) -> None:
    header = "cnie,nom_fr,prenom_fr,sexe,date_naissance,adresse\n"
    path = _write(
        tmp_path / "cnie.csv",
        header + 'BK1,ALAOUI,SAID,M,01/01/1990,"12 rue X\nFes"\n' + 'BK2,"ALAOUI\nX",SAID,M,01/01/1990,Fes\n',
    )
    rows = list(read_rows(open_extract(path)))
    assert rows[0].problem is None and rows[0].values["adresse"] == "12 rue X\nFes" and rows[0].lines == 2
    assert rows[1].problem is not None and rows[1].number == 4  # a name may not hold a line break
    assert sum(r.lines for r in rows) == 4


def test_a_field_longer_than_the_limit_is_a_damaged_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "cnss.csv", "num_immatriculation,nom\n123456789," + "A" * 5_000_000 + "\n2,B\n")
    rows = list(read_rows(open_extract(path)))
    assert rows[0].problem is not None and "longer than" in rows[0].problem
    assert rows[1].values == {"num_immatriculation": "2", "nom": "B"}


def test_a_headerless_file_is_refused_without_repeating_its_first_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "cnie.csv", "BK123456,العلوي,محمد,ALAOUI,MOHAMED,M,05/11/1980,FES,12 RUE X\n")
    with pytest.raises(BadExtract) as caught:
        open_extract(path)
    message = str(caught.value)
    assert "no column cnie" in message
    for value in ("BK123456", "ALAOUI", "MOHAMED", "1980", "العلوي"):
        assert value not in message


def test_file_names_are_recognised_in_any_case_and_others_listed(tmp_path: Path) -> None:
    _write(tmp_path / "CNSS.csv", "num_immatriculation,nom\n123456789,A\n")
    _write(tmp_path / "notes.txt", "x")
    scanned = scan_sources(tmp_path)
    assert [e.format.source for e in scanned.extracts] == ["cnss"]
    assert scanned.ignored == ["notes.txt"]


def test_two_files_for_one_registry_are_refused(tmp_path: Path) -> None:
    _write(tmp_path / "CNSS.csv", "num_immatriculation,nom\n1,A\n")
    _write(tmp_path / "cnss.CSV", "num_immatriculation,nom\n1,A\n")
    with pytest.raises(BadExtract, match=r"stand for cnss\.csv"):
        scan_sources(tmp_path)


def test_a_directory_named_like_an_extract_is_refused(tmp_path: Path) -> None:
    (tmp_path / "civil.csv").mkdir()
    with pytest.raises(BadExtract, match="a directory"):
        scan_sources(tmp_path)


_cells = st.text(alphabet=st.sampled_from(list('ab,"\n\r xéم')), max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(_cells, max_size=40).map("".join), size=st.integers(1, 7))
def test_every_physical_line_is_accounted_for_whatever_the_bytes(
    tmp_path: Path, body: str, size: int
) -> None:
    path = _write(tmp_path / "cnie.csv", "cnie,nom_fr,adresse\n" + body)
    extract = open_extract(path)
    chunks = list(read_chunks(extract, size=size))
    counted = sum(sum(c.spans) + c.blank_lines for c in chunks)
    assert counted == _physical_lines(path)
    numbers = [n for c in chunks for n in c.numbers]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_are_read_or_refused_never_a_traceback(tmp_path: Path, data: bytes) -> None:
    path = _write(tmp_path / "cnss.csv", b"num_immatriculation,nom\n" + data)
    try:
        extract = open_extract(path)
    except BadExtract:
        return
    rows = list(read_rows(extract))
    assert sum(r.lines for r in rows if not r.blank) + sum(r.blank for r in rows) == _physical_lines(path)

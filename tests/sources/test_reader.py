from pathlib import Path

import pytest

from sijill.errors import BadExtract, UnknownSource
from sijill.sources.reader import find_extracts, open_extract, read_rows


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

"""Every bad invocation gets one line and its documented exit code, never a traceback or a value."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sijill.synth import generate

ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}


def sijill(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sijill", *args], capture_output=True, text=True, timeout=600, env=ENV
    )


def _clean_failure(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip(), "a failure says why"


@pytest.fixture
def missing_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'typo' / 'registre.db'}"


@pytest.mark.parametrize(
    "command",
    [
        ["quarantine"],
        ["export", "crosswalk", "--out", "{tmp}/x.csv"],
        ["linkage", "explain", "cnie:A1", "cnie:A2"],
        ["model", "show"],
        ["review", "list"],
    ],
)
def test_a_read_only_command_refuses_a_register_that_does_not_exist(
    command: list[str], missing_db: str, tmp_path: Path
) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in command]
    result = sijill(*args, "--db", missing_db)
    _clean_failure(result, 4)
    assert "no register" in result.stderr
    assert not (tmp_path / "typo").exists()


@pytest.mark.parametrize(("url", "code"), [("notaurl", 2), ("mysql://root@localhost/x", 2)])
def test_a_database_url_that_cannot_be_used_is_a_usage_error(url: str, code: int, tmp_path: Path) -> None:
    _clean_failure(sijill("quarantine", "--db", url), code)


def test_a_directory_named_like_an_extract_refuses_the_build(tmp_path: Path) -> None:
    (tmp_path / "civil.csv").mkdir()
    _clean_failure(sijill("build", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'r.db'}"), 3)


def test_an_extract_that_cannot_be_opened_refuses_the_build(tmp_path: Path) -> None:
    (tmp_path / "cnss.csv").symlink_to(tmp_path / "gone.csv")
    _clean_failure(sijill("build", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'r.db'}"), 3)


def test_a_headerless_extract_is_refused_without_printing_its_first_row(tmp_path: Path) -> None:
    (tmp_path / "cnie.csv").write_text("BK123456,العلوي,محمد,ALAOUI,MOHAMED,M,05/11/1980,FES,12 RUE X\n")
    result = sijill("build", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'r.db'}")
    _clean_failure(result, 3)
    for value in ("BK123456", "ALAOUI", "MOHAMED", "05/11/1980", "العلوي"):
        assert value not in result.stderr + result.stdout


def test_a_five_megabyte_field_is_quarantined_and_the_build_goes_on(tmp_path: Path) -> None:
    header = "num_immatriculation,cnie,nom,prenom,date_naissance,sexe,salaire_mensuel\n"
    body = (
        "123456789,BK1,ALAOUI,SAID,05/11/1980,M,1\n"
        + "223456789,BK2,"
        + "X" * 5_000_000
        + ",A,01/01/1990,M,1\n"
    )
    (tmp_path / "cnss.csv").write_text(header + body, encoding="utf-8")
    result = sijill(
        "build", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'r.db'}", "--engine", "deterministic"
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("built")
    generate(out / "src", persons=300, seed=4)
    url = f"sqlite:///{out / 'r.db'}"
    assert sijill("build", str(out / "src"), "--db", url, "--engine", "deterministic").returncode == 0
    return url


def test_an_output_that_cannot_be_written_is_refused(built: str) -> None:
    _clean_failure(sijill("export", "crosswalk", "--out", "/nonexistent/x.csv", "--db", built), 8)


def test_a_review_decision_must_be_one_of_the_choices(built: str) -> None:
    _clean_failure(sijill("review", "decide", "1", "maybe", "--by", "amina", "--db", built), 2)


def test_an_unknown_review_item_is_not_found(built: str) -> None:
    _clean_failure(sijill("review", "decide", "999999", "match", "--by", "amina", "--db", built), 4)


@pytest.mark.parametrize("number", ["٥٣١٨٦٩٩٥٠٨", "５３１８６９９５０８", "53186995O8", "abc"])
def test_a_uin_is_ascii_digits(number: str) -> None:
    result = sijill("uin", "check", number)
    _clean_failure(result, 1)
    assert "digits 0-9" in result.stderr


def test_ctrl_c_during_a_build_leaves_the_register_as_it_was(tmp_path: Path) -> None:
    generate(tmp_path / "src", persons=20000, seed=8)
    url = f"sqlite:///{tmp_path / 'r.db'}"
    process = subprocess.Popen(
        [sys.executable, "-m", "sijill", "build", str(tmp_path / "src"), "--db", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    # Interrupt once the build has opened the register and started work, not at a fixed
    # time: start-up and the build's own speed vary from machine to machine.
    deadline = time.monotonic() + 120
    while not (tmp_path / "r.db").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)
    os.kill(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=600)
    if process.returncode == 0:
        pytest.skip("the build finished before the interrupt")
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in out + err
    quarantine = sijill("quarantine", "--db", url)
    assert quarantine.returncode == 0 and "0 rows shown" in quarantine.stdout

"""`sijill enrol`: a refused bundle is one line and exit code 9; keys are drawn and registered."""

import json
import subprocess
import sys
from pathlib import Path

from sijill.db.engine import create_engine_for
from sijill.enrolment import new_device_key, write_json_bundle
from tests.enrolment.conftest import DEVICE, new_person_form, row_counts

ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}


def sijill(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sijill", *args], capture_output=True, text=True, timeout=600, env=ENV
    )


def test_a_device_key_is_drawn_registered_and_a_tampered_bundle_exits_9(db_url: str, tmp_path: Path) -> None:
    drawn = sijill("enrol", "device", "keygen", str(tmp_path / "device.pem"))
    assert drawn.returncode == 0, drawn.stderr
    public = drawn.stdout.strip()
    added = sijill("enrol", "device", "add", DEVICE, "--public-key", public, "--by", "admin", "--db", db_url)
    assert added.returncode == 0, added.stderr
    assert public in sijill("enrol", "device", "list", "--db", db_url).stdout
    from sijill.enrolment import load_private_key

    key = load_private_key((tmp_path / "device.pem").read_bytes())
    bundle = write_json_bundle(
        tmp_path / "b.json",
        key=key,
        device=DEVICE,
        bundle_id="b-cli",
        forms=[new_person_form(1, client_id="a")],
    )
    signed = json.loads(bundle.read_text(encoding="utf-8"))
    signed["entries"][0]["operator"] = "someone-else"
    bundle.write_text(json.dumps(signed), encoding="utf-8")
    engine = create_engine_for(db_url)
    before = row_counts(engine)
    refused = sijill("enrol", "sync", str(bundle), "--db", db_url)
    assert refused.returncode == 9, refused.stderr
    assert "signature does not match" in refused.stderr and "Traceback" not in refused.stderr
    assert row_counts(engine) == before
    engine.dispose()


def test_a_bundle_of_an_unknown_device_exits_9(db_url: str, tmp_path: Path) -> None:
    bundle = write_json_bundle(
        tmp_path / "b.json",
        key=new_device_key(),
        device="ghost",
        bundle_id="b-ghost",
        forms=[new_person_form(2, client_id="g")],
    )
    refused = sijill("enrol", "sync", str(bundle), "--db", db_url)
    assert refused.returncode == 9 and "ghost" in refused.stderr and "not registered" in refused.stderr

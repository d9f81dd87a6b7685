"""A device's signed bundle syncs once: verified whole, each entry applied once, resumable."""

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, func, select

from sijill.db.engine import session_scope
from sijill.enrolment import (
    BundleRefused,
    Enrolment,
    EnrolmentForm,
    EnrolmentOutcome,
    Evidence,
    UnknownDevice,
    new_device_key,
    sync_bundle,
    write_csv_bundle,
    write_json_bundle,
)
from sijill.uin import Uin
from tests.enrolment.conftest import DEVICE, TODAY, held_person_form, new_person_form, row_counts


def _bundle(path: Path, key: Ed25519PrivateKey, built: Engine, *, bundle_id: str = "b-0001") -> Path:
    held, _ = held_person_form(built, client_id="e-held")
    forms = [new_person_form(1, client_id="e-1"), held, new_person_form(2, client_id="e-2")]
    return write_json_bundle(path, key=key, device=DEVICE, bundle_id=bundle_id, forms=forms)


def test_a_bundle_synced_twice_changes_nothing_the_second_time(
    built: Engine, device: Ed25519PrivateKey, tmp_path: Path
) -> None:
    bundle = _bundle(tmp_path / "bundle.json", device, built)
    first = sync_bundle(engine=built, path=bundle, today=TODAY)
    assert first.counts == {"new": 2, "queued": 1, "already": 0, "refused": 0}
    assert [o.client_id for o in first.outcomes] == ["e-1", "e-held", "e-2"]
    counts = row_counts(built)
    second = sync_bundle(engine=built, path=bundle, today=TODAY)
    assert second.already_applied and second.counts["already"] == 3
    assert row_counts(built) == counts
    assert [o.number for o in second.outcomes] == [o.number for o in first.outcomes]


def test_a_csv_bundle_syncs_like_a_json_one(built: Engine, device: Ed25519PrivateKey, tmp_path: Path) -> None:
    forms = [new_person_form(3, client_id="c-3"), new_person_form(4, client_id="c-4")]
    manifest = write_csv_bundle(tmp_path / "csv", key=device, device=DEVICE, bundle_id="b-csv", forms=forms)
    assert sync_bundle(engine=built, path=manifest.parent, today=TODAY).counts["new"] == 2
    assert sync_bundle(engine=built, path=manifest, today=TODAY).already_applied


def test_a_tampered_bundle_is_refused_and_nothing_is_written(
    built: Engine, device: Ed25519PrivateKey, tmp_path: Path
) -> None:
    bundle = _bundle(tmp_path / "bundle.json", device, built)
    signed = json.loads(bundle.read_text(encoding="utf-8"))
    signed["entries"][0]["person"]["birth_date"] = "1990-01-01"
    bundle.write_text(json.dumps(signed), encoding="utf-8")
    before = row_counts(built)
    with pytest.raises(BundleRefused, match="signature does not match"):
        sync_bundle(engine=built, path=bundle, today=TODAY)
    assert row_counts(built) == before


def test_a_tampered_csv_bundle_is_refused_and_nothing_is_written(
    built: Engine, device: Ed25519PrivateKey, tmp_path: Path
) -> None:
    manifest = write_csv_bundle(
        tmp_path / "csv",
        key=device,
        device=DEVICE,
        bundle_id="b-csv",
        forms=[new_person_form(5, client_id="c")],
    )
    entries = manifest.parent / "entries.csv"
    entries.write_text(entries.read_text(encoding="utf-8").replace("BC-00005", "BC-00006"), encoding="utf-8")
    before = row_counts(built)
    with pytest.raises(BundleRefused, match="altered"):
        sync_bundle(engine=built, path=manifest, today=TODAY)
    assert row_counts(built) == before


def test_a_bundle_of_an_unknown_device_or_key_is_refused(
    built: Engine, device: Ed25519PrivateKey, tmp_path: Path
) -> None:
    stranger = new_device_key()
    forms = [new_person_form(6, client_id="u-6")]
    before = row_counts(built)
    unknown = write_json_bundle(
        tmp_path / "u.json", key=stranger, device="ghost", bundle_id="b-u", forms=forms
    )
    with pytest.raises(UnknownDevice, match="ghost"):
        sync_bundle(engine=built, path=unknown, today=TODAY)
    forged = write_json_bundle(tmp_path / "f.json", key=stranger, device=DEVICE, bundle_id="b-f", forms=forms)
    with pytest.raises(BundleRefused, match="not signed by device"):
        sync_bundle(engine=built, path=forged, today=TODAY)
    assert row_counts(built) == before


def test_a_bundle_interrupted_midway_then_resynced_completes_without_duplicates(
    built: Engine, device: Ed25519PrivateKey, tmp_path: Path
) -> None:
    forms = [new_person_form(10 + i, client_id=f"i-{i}") for i in range(4)]
    bundle = write_json_bundle(tmp_path / "b.json", key=device, device=DEVICE, bundle_id="b-int", forms=forms)
    seen: list[EnrolmentOutcome] = []

    def pull_the_plug(outcome: EnrolmentOutcome) -> None:
        seen.append(outcome)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync_bundle(engine=built, path=bundle, today=TODAY, on_entry=pull_the_plug)
    with session_scope(built) as session:
        assert session.scalar(select(func.count()).select_from(Enrolment)) == 2
    uins_before = row_counts(built)["uin"]
    resumed = sync_bundle(engine=built, path=bundle, today=TODAY)
    assert [o.outcome for o in resumed.outcomes] == ["already", "already", "new", "new"]
    assert row_counts(built)["uin"] == uins_before + 2
    with session_scope(built) as session:
        clients = session.scalars(select(Enrolment.client_id).where(Enrolment.bundle_id == "b-int")).all()
        assert sorted(str(c) for c in clients) == ["i-0", "i-1", "i-2", "i-3"]
        uins = [o.uin for o in seen] + [o.uin for o in resumed.outcomes[2:]]
        assert len(set(uins)) == 4
        assert session.scalar(select(func.count()).select_from(Uin).where(Uin.uin.in_(uins))) == 4
    assert sync_bundle(engine=built, path=bundle, today=TODAY).already_applied


def test_the_same_new_person_twice_in_a_bundle_gets_one_uin(
    built: Engine, device: Ed25519PrivateKey, tmp_path: Path
) -> None:
    twice = [new_person_form(20, client_id="t-1"), new_person_form(20, client_id="t-2")]
    bundle = write_json_bundle(
        tmp_path / "b.json", key=device, device=DEVICE, bundle_id="b-twice", forms=twice
    )
    report = sync_bundle(engine=built, path=bundle, today=TODAY)
    assert [o.outcome for o in report.outcomes] == ["new", "queued"]
    assert report.outcomes[0].uin in {c["uin"] for c in report.outcomes[1].candidates}


def test_an_entry_with_unusable_evidence_is_refused_alone(
    built: Engine, device: Ed25519PrivateKey, tmp_path: Path
) -> None:
    good = new_person_form(30, client_id="ok")
    bad = EnrolmentForm(good.person, good.operator, Evidence(witnesses=("1234",)), client_id="bad")
    bundle = write_json_bundle(
        tmp_path / "b.json", key=device, device=DEVICE, bundle_id="b-bad", forms=[good, bad]
    )
    report = sync_bundle(engine=built, path=bundle, today=TODAY)
    assert [o.outcome for o in report.outcomes] == ["new", "refused"]
    reason = report.outcomes[1].reason
    assert reason is not None and reason.startswith("witness 1") and "1234" not in reason

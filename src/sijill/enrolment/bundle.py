"""Offline bundles of a field device: JSON, or CSV with a JSON manifest, signed with ed25519.

A bundle is `{"header": H, "entries": [...], "signature": S}`; with CSV, the manifest holds
`"entries_csv": {"file": "entries.csv", "sha256": "<hex of the file's bytes>"}` instead of
the entries. The device signs the digest the SPDCI envelopes use (`identity.envelope.
digest_of`: SHA-256 of the canonical JSON of `{"header": H, "message": C}`, C the entries or
the `entries_csv` object) prefixed with `SIGNED_PREFIX`. Unlike an SPDCI signature, a
bundle's signature has no expiry: a bundle may reach the register weeks after it was made.
"""

import base64
import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sijill.enrolment.errors import BundleRefused
from sijill.enrolment.forms import PERSON_FIELDS, EnrolmentForm, form_as_json
from sijill.identity.envelope import ALGORITHM, digest_of

BUNDLE_FORMAT = "sijill-enrol-bundle/1"
SIGNED_PREFIX = b"sijill-enrol-bundle/1\ndigest: "
MANIFEST = "manifest.json"
ENTRIES_CSV = "entries.csv"
MAX_BUNDLE_BYTES = 64 << 20
BUNDLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
CSV_COLUMNS = ("client_id", "enrolled_at", "operator", *PERSON_FIELDS, "documents", "witnesses", "parents")
LIST_SEPARATOR, PAIR_SEPARATOR = ";", ":"


@dataclass(frozen=True)
class Bundle:
    """A bundle read from disk, not yet verified: header, entries, and what was signed."""

    path: Path
    header: dict[str, Any]
    entries: list[Any]
    digest: str
    signature: dict[str, Any]

    @property
    def bundle_id(self) -> str:
        return str(self.header["bundle_id"])

    @property
    def device(self) -> str:
        return str(self.header["device"])


def signature_of(key: Ed25519PrivateKey, digest: str) -> dict[str, str]:
    """Return the signature object of a bundle whose digest this is."""
    raw = key.sign(SIGNED_PREFIX + digest.encode())
    return {"algorithm": ALGORITHM, "value": base64.b64encode(raw).decode()}


def verify_signature(bundle: Bundle, public_key: Ed25519PublicKey) -> None:
    """Raise BundleRefused unless the bundle carries the device's ed25519 signature of its digest."""
    value = bundle.signature.get("value")
    if bundle.signature.get("algorithm") != ALGORITHM or not isinstance(value, str):
        raise BundleRefused(f"{bundle.path.name}: the signature is not an ed25519 signature")
    try:
        public_key.verify(base64.b64decode(value, validate=True), SIGNED_PREFIX + bundle.digest.encode())
    except (ValueError, InvalidSignature):
        raise BundleRefused(
            f"{bundle.path.name}: the signature does not match the content "
            f"(altered after signing, or not signed by device {bundle.device!r})"
        ) from None


def _header(device: str, bundle_id: str, created_at: datetime | None) -> dict[str, Any]:
    if not BUNDLE_ID.match(bundle_id):
        raise BundleRefused(f"bundle id {bundle_id!r}: 1 to 64 letters, digits, '.', '_', ':' or '-'")
    moment = created_at or datetime.now(UTC)
    return {
        "format": BUNDLE_FORMAT,
        "bundle_id": bundle_id,
        "device": device,
        "created_at": moment.isoformat(),
    }


def write_json_bundle(
    path: Path,
    *,
    key: Ed25519PrivateKey,
    device: str,
    bundle_id: str,
    forms: list[EnrolmentForm],
    created_at: datetime | None = None,
) -> Path:
    """Write and sign a JSON bundle of forms (each with its client id), as a device does."""
    header = _header(device, bundle_id, created_at)
    entries = [form_as_json(f) for f in forms]
    signed = {
        "header": header,
        "entries": entries,
        "signature": signature_of(key, digest_of(header, entries)),
    }
    path.write_text(json.dumps(signed, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _csv_cell(entry: dict[str, Any], column: str) -> str:
    evidence = entry["evidence"]
    if column == "documents":
        return LIST_SEPARATOR.join(f"{d['type']}{PAIR_SEPARATOR}{d['number']}" for d in evidence["documents"])
    if column == "witnesses":
        return LIST_SEPARATOR.join(evidence["witnesses"])
    if column == "parents":
        return LIST_SEPARATOR.join(f"{p['role']}{PAIR_SEPARATOR}{p['uin']}" for p in evidence["parents"])
    if column in PERSON_FIELDS:
        return str(entry["person"].get(column, ""))
    return str(entry.get(column) or "")


def write_csv_bundle(
    directory: Path,
    *,
    key: Ed25519PrivateKey,
    device: str,
    bundle_id: str,
    forms: list[EnrolmentForm],
    created_at: datetime | None = None,
) -> Path:
    """Write and sign a CSV bundle (`entries.csv` and `manifest.json`); return the manifest's path."""
    header = _header(device, bundle_id, created_at)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in (form_as_json(f) for f in forms):
        writer.writerow([_csv_cell(entry, c) for c in CSV_COLUMNS])
    data = out.getvalue().encode("utf-8")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ENTRIES_CSV).write_bytes(data)
    content = {"file": ENTRIES_CSV, "sha256": hashlib.sha256(data).hexdigest()}
    manifest = {
        "header": header,
        "entries_csv": content,
        "signature": signature_of(key, digest_of(header, content)),
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return directory / MANIFEST


def _load_json(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_BUNDLE_BYTES:
            raise BundleRefused(f"{path.name}: larger than {MAX_BUNDLE_BYTES >> 20} MiB")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BundleRefused(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BundleRefused(f"{path.name}: not a JSON bundle (not UTF-8 JSON)") from None
    if not isinstance(data, dict):
        raise BundleRefused(f"{path.name}: not a JSON bundle (not an object)")
    return data


def _checked_header(path: Path, data: dict[str, Any]) -> dict[str, Any]:
    header = data.get("header")
    if not isinstance(header, dict) or header.get("format") != BUNDLE_FORMAT:
        raise BundleRefused(f"{path.name}: not a bundle of format {BUNDLE_FORMAT}")
    bundle_id, device = header.get("bundle_id"), header.get("device")
    if not isinstance(bundle_id, str) or not BUNDLE_ID.match(bundle_id):
        raise BundleRefused(f"{path.name}: the header has no valid bundle_id")
    if not isinstance(device, str) or not device:
        raise BundleRefused(f"{path.name}: the header names no device")
    if not isinstance(data.get("signature"), dict):
        raise BundleRefused(f"{path.name}: the bundle is not signed")
    return header


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()]


def _pair(part: str) -> tuple[str, str]:
    first, _, second = part.partition(PAIR_SEPARATOR)
    return first.strip(), second.strip()


def entry_of_csv_row(row: dict[str, str]) -> dict[str, Any]:
    """Return a CSV row of a bundle as the entry a JSON bundle would carry."""
    documents = [dict(zip(("type", "number"), _pair(p), strict=True)) for p in _split(row["documents"])]
    parents = [dict(zip(("role", "uin"), _pair(p), strict=True)) for p in _split(row["parents"])]
    entry: dict[str, Any] = {
        "client_id": row["client_id"] or None,
        "operator": row["operator"],
        "person": {k: row[k] for k in PERSON_FIELDS if row[k]},
        "evidence": {"documents": documents, "witnesses": _split(row["witnesses"]), "parents": parents},
    }
    if row["enrolled_at"]:
        entry["enrolled_at"] = row["enrolled_at"]
    return entry


def _csv_entries(manifest: Path, content: Any) -> list[Any]:
    if not isinstance(content, dict) or not isinstance(content.get("file"), str):
        raise BundleRefused(f"{manifest.name}: entries_csv names no file")
    path = manifest.parent / Path(content["file"]).name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BundleRefused(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    if hashlib.sha256(data).hexdigest() != content.get("sha256"):
        raise BundleRefused(f"{path.name}: its content is not the one the manifest signed (altered)")
    try:
        reader = csv.DictReader(io.StringIO(data.decode("utf-8")))
        rows = list(reader)
    except (UnicodeDecodeError, csv.Error):
        raise BundleRefused(f"{path.name}: not UTF-8 CSV") from None
    if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
        raise BundleRefused(f"{path.name}: the columns are not {', '.join(CSV_COLUMNS)}")
    return [entry_of_csv_row(r) for r in rows]


def read_bundle(path: Path) -> Bundle:
    """Read a JSON bundle, or a CSV bundle by its manifest (or its directory); not yet verified."""
    if path.is_dir():
        path = path / MANIFEST
    data = _load_json(path)
    header = _checked_header(path, data)
    if "entries" in data:
        if not isinstance(data["entries"], list):
            raise BundleRefused(f"{path.name}: entries is not a list")
        entries, content = data["entries"], data["entries"]
    elif "entries_csv" in data:
        content = data["entries_csv"]
        entries = _csv_entries(path, content)
    else:
        raise BundleRefused(f"{path.name}: holds neither entries nor entries_csv")
    return Bundle(path, header, entries, digest_of(header, content), data["signature"])

"""Field devices: registered with the ed25519 public key they sign their bundles with."""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.enrolment.errors import EnrolmentNotFound, EnrolmentRefused, UnknownDevice
from sijill.enrolment.models import DEVICE_ACTIVE, DEVICE_REVOKED, EnrolmentDevice
from sijill.errors import UsageError
from sijill.history import record_events
from sijill.identity.envelope import public_key_of, raw_public_key

DEVICE_NAME_LIMIT = 32  # a device name is also the entity id of its history (32 characters)


def add_device(*, session: Session, name: str, public_key: str, by: str) -> EnrolmentDevice:
    """Register a device and its public key (PEM, or the 32 raw bytes in base64)."""
    if not name or len(name) > DEVICE_NAME_LIMIT:
        raise UsageError(f"a device name has 1 to {DEVICE_NAME_LIMIT} characters")
    try:
        key = raw_public_key(public_key_of(public_key))
    except ValueError as exc:
        raise UsageError(f"device {name}: not an ed25519 public key ({exc})") from None
    if session.get(EnrolmentDevice, name) is not None:
        raise EnrolmentRefused(f"device {name} is already registered; revoke it to register a new key")
    device = EnrolmentDevice(name=name, public_key=key, status=DEVICE_ACTIVE, added_by=by)
    session.add(device)
    session.flush()
    _history(session, name, "registered", by)
    return device


def revoke_device(*, session: Session, name: str, by: str) -> EnrolmentDevice:
    """Revoke a device: its bundles are refused from now on, those synced before stay."""
    device = session.get(EnrolmentDevice, name)
    if device is None:
        raise EnrolmentNotFound(f"no device {name}")
    device.status = DEVICE_REVOKED
    _history(session, name, "revoked", by)
    return device


def list_devices(*, session: Session) -> list[EnrolmentDevice]:
    """Return every device, by name."""
    return list(session.scalars(select(EnrolmentDevice).order_by(EnrolmentDevice.name)))


def device_key(*, session: Session, name: str) -> Ed25519PublicKey:
    """Return the public key of an active device; UnknownDevice when unknown or revoked."""
    device = session.get(EnrolmentDevice, name)
    if device is None:
        raise UnknownDevice(f"device {name!r} is not registered (sijill enrol device add)")
    if device.status != DEVICE_ACTIVE:
        raise UnknownDevice(f"device {name!r} is revoked; its bundles are refused")
    return public_key_of(device.public_key)


def new_device_key() -> Ed25519PrivateKey:
    """Draw a new ed25519 key for a device (from the OS's CSPRNG)."""
    return Ed25519PrivateKey.generate()


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    """Return a device's private key as unencrypted PKCS#8 PEM (keep it on the device)."""
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """Read a device's private key from PEM; UsageError when it is not an ed25519 key."""
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise UsageError("not a PEM private key without password") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError("the private key is not an ed25519 key")
    return key


def _history(session: Session, name: str, action: str, by: str) -> None:
    record_events(
        session=session,
        build_id=None,
        events=[{"entity": "enrol_device", "entity_id": name, "action": action, "detail": {"by": by}}],
    )

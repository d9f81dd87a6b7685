"""Enrolment of people no registry holds: at a desk, or offline on a field device.

The facade the CLI and the API call. Names load on first use (see `sijill.linkage`), so that
the tables can be imported without loading the matcher.

Example:
    >>> from sijill.enrolment import entry_number
    >>> entry_number("tablet-07", "e-0001") == entry_number("tablet-07", "e-0001")
    True
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sijill.enrolment.bundle import (
        BUNDLE_FORMAT,
        CSV_COLUMNS,
        Bundle,
        read_bundle,
        write_csv_bundle,
        write_json_bundle,
    )
    from sijill.enrolment.devices import (
        add_device,
        device_key,
        list_devices,
        load_private_key,
        new_device_key,
        private_key_pem,
        revoke_device,
    )
    from sijill.enrolment.errors import BundleRefused, EnrolmentNotFound, EnrolmentRefused, UnknownDevice
    from sijill.enrolment.evidence import DOCUMENT_TYPES, PARENT_ROLES, Document, Evidence, Parent
    from sijill.enrolment.forms import PERSON_FIELDS, EnrolmentForm, entry_number
    from sijill.enrolment.models import (
        ENROLMENT_LINKED,
        ENROLMENT_NEW,
        ENROLMENT_REVIEW,
        Enrolment,
        EnrolmentBundle,
        EnrolmentDevice,
    )
    from sijill.enrolment.review import EnrolmentDecision, get_enrolment, pending_enrolments, settle_enrolment
    from sijill.enrolment.service import (
        ENROLMENT_SOURCE,
        OUTCOME_ALREADY,
        OUTCOME_NEW,
        OUTCOME_QUEUED,
        OUTCOME_REFUSED,
        EnrolmentOutcome,
        EnrolmentPlace,
        enrol_person,
    )
    from sijill.enrolment.sync import SyncReport, sync_bundle, verify_bundle

_WHERE = {
    "BUNDLE_FORMAT": "bundle",
    "CSV_COLUMNS": "bundle",
    "Bundle": "bundle",
    "read_bundle": "bundle",
    "write_csv_bundle": "bundle",
    "write_json_bundle": "bundle",
    "add_device": "devices",
    "device_key": "devices",
    "list_devices": "devices",
    "load_private_key": "devices",
    "new_device_key": "devices",
    "private_key_pem": "devices",
    "revoke_device": "devices",
    "BundleRefused": "errors",
    "EnrolmentNotFound": "errors",
    "EnrolmentRefused": "errors",
    "UnknownDevice": "errors",
    "DOCUMENT_TYPES": "evidence",
    "PARENT_ROLES": "evidence",
    "Document": "evidence",
    "Evidence": "evidence",
    "Parent": "evidence",
    "PERSON_FIELDS": "forms",
    "EnrolmentForm": "forms",
    "entry_number": "forms",
    "ENROLMENT_LINKED": "models",
    "ENROLMENT_NEW": "models",
    "ENROLMENT_REVIEW": "models",
    "Enrolment": "models",
    "EnrolmentBundle": "models",
    "EnrolmentDevice": "models",
    "EnrolmentDecision": "review",
    "get_enrolment": "review",
    "pending_enrolments": "review",
    "settle_enrolment": "review",
    "ENROLMENT_SOURCE": "service",
    "OUTCOME_ALREADY": "service",
    "OUTCOME_NEW": "service",
    "OUTCOME_QUEUED": "service",
    "OUTCOME_REFUSED": "service",
    "EnrolmentOutcome": "service",
    "EnrolmentPlace": "service",
    "enrol_person": "service",
    "SyncReport": "sync",
    "sync_bundle": "sync",
    "verify_bundle": "sync",
}
__all__ = [
    "BUNDLE_FORMAT",
    "CSV_COLUMNS",
    "DOCUMENT_TYPES",
    "ENROLMENT_LINKED",
    "ENROLMENT_NEW",
    "ENROLMENT_REVIEW",
    "ENROLMENT_SOURCE",
    "OUTCOME_ALREADY",
    "OUTCOME_NEW",
    "OUTCOME_QUEUED",
    "OUTCOME_REFUSED",
    "PARENT_ROLES",
    "PERSON_FIELDS",
    "Bundle",
    "BundleRefused",
    "Document",
    "Enrolment",
    "EnrolmentBundle",
    "EnrolmentDecision",
    "EnrolmentDevice",
    "EnrolmentForm",
    "EnrolmentNotFound",
    "EnrolmentOutcome",
    "EnrolmentPlace",
    "EnrolmentRefused",
    "Evidence",
    "Parent",
    "SyncReport",
    "UnknownDevice",
    "add_device",
    "device_key",
    "enrol_person",
    "entry_number",
    "get_enrolment",
    "list_devices",
    "load_private_key",
    "new_device_key",
    "pending_enrolments",
    "private_key_pem",
    "read_bundle",
    "revoke_device",
    "settle_enrolment",
    "sync_bundle",
    "verify_bundle",
    "write_csv_bundle",
    "write_json_bundle",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'sijill.enrolment' has no attribute {name!r}")
    return getattr(import_module(f"sijill.enrolment.{module}"), name)

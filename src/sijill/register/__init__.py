"""The register: persons, their links to source records, builds. The facade callers use.

Names load on first use (see `sijill.linkage`), so that the tables can be imported without
loading the linkage engine.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sijill.register.assign import AssignOutcome, assign_persons
    from sijill.register.events import (
        CORRECTABLE,
        BirthDeclaration,
        EventOutcome,
        change_address,
        correct_person,
        declare_birth,
        record_death,
    )
    from sijill.register.flows import BuildProgress, BuildSummary, link_and_assign, run_build
    from sijill.register.golden import GOLDEN_FIELDS
    from sijill.register.match import Candidate, Matcher, MatchResult, ingest_record
    from sijill.register.models import (
        PERSON_ACTIVE,
        PERSON_DECEASED,
        PERSON_MERGED,
        PERSON_RETIRED,
        Build,
        Link,
        OperatorAction,
        Person,
        PersonRelation,
        PersonVersion,
    )
    from sijill.register.operators import (
        ActionOutcome,
        merge_persons,
        operator_actions,
        split_person,
        undo_action,
    )
    from sijill.register.person_versions import (
        PersonState,
        person_at,
        person_history,
        record_current_versions,
        record_versions,
    )
    from sijill.register.review import ReviewOutcome, merge_reviewed, persons_of_records, settle_review
    from sijill.register.service import (
        CROSSWALK_COLUMNS,
        crosswalk_rows,
        export_crosswalk,
        get_person_by_uin,
        quarantined,
        resolve_source_id,
    )

_WHERE = {
    "CORRECTABLE": "events",
    "BirthDeclaration": "events",
    "EventOutcome": "events",
    "change_address": "events",
    "correct_person": "events",
    "declare_birth": "events",
    "record_death": "events",
    "OperatorAction": "models",
    "PersonRelation": "models",
    "PersonVersion": "models",
    "ActionOutcome": "operators",
    "merge_persons": "operators",
    "operator_actions": "operators",
    "split_person": "operators",
    "undo_action": "operators",
    "PersonState": "person_versions",
    "person_at": "person_versions",
    "person_history": "person_versions",
    "record_current_versions": "person_versions",
    "record_versions": "person_versions",
    "AssignOutcome": "assign",
    "assign_persons": "assign",
    "BuildProgress": "flows",
    "BuildSummary": "flows",
    "link_and_assign": "flows",
    "run_build": "flows",
    "GOLDEN_FIELDS": "golden",
    "Candidate": "match",
    "Matcher": "match",
    "MatchResult": "match",
    "ingest_record": "match",
    "PERSON_ACTIVE": "models",
    "PERSON_DECEASED": "models",
    "PERSON_MERGED": "models",
    "PERSON_RETIRED": "models",
    "Build": "models",
    "Link": "models",
    "Person": "models",
    "ReviewOutcome": "review",
    "merge_reviewed": "review",
    "persons_of_records": "review",
    "settle_review": "review",
    "CROSSWALK_COLUMNS": "service",
    "crosswalk_rows": "service",
    "export_crosswalk": "service",
    "get_person_by_uin": "service",
    "quarantined": "service",
    "resolve_source_id": "service",
}
__all__ = [
    "CORRECTABLE",
    "CROSSWALK_COLUMNS",
    "GOLDEN_FIELDS",
    "PERSON_ACTIVE",
    "PERSON_DECEASED",
    "PERSON_MERGED",
    "PERSON_RETIRED",
    "ActionOutcome",
    "AssignOutcome",
    "BirthDeclaration",
    "Build",
    "BuildProgress",
    "BuildSummary",
    "Candidate",
    "EventOutcome",
    "Link",
    "MatchResult",
    "Matcher",
    "OperatorAction",
    "Person",
    "PersonRelation",
    "PersonState",
    "PersonVersion",
    "ReviewOutcome",
    "assign_persons",
    "change_address",
    "correct_person",
    "crosswalk_rows",
    "declare_birth",
    "export_crosswalk",
    "get_person_by_uin",
    "ingest_record",
    "link_and_assign",
    "merge_persons",
    "merge_reviewed",
    "operator_actions",
    "person_at",
    "person_history",
    "persons_of_records",
    "quarantined",
    "record_current_versions",
    "record_death",
    "record_versions",
    "resolve_source_id",
    "run_build",
    "settle_review",
    "split_person",
    "undo_action",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'sijill.register' has no attribute {name!r}")
    return getattr(import_module(f"sijill.register.{module}"), name)

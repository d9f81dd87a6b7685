"""The register: persons, their links to source records, builds. The facade callers use.

Names load on first use (see `sijill.linkage`), so that the tables can be imported without
loading the linkage engine.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sijill.register.assign import AssignOutcome, assign_persons
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
        Person,
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
    "CROSSWALK_COLUMNS",
    "GOLDEN_FIELDS",
    "PERSON_ACTIVE",
    "PERSON_DECEASED",
    "PERSON_MERGED",
    "PERSON_RETIRED",
    "AssignOutcome",
    "Build",
    "BuildProgress",
    "BuildSummary",
    "Candidate",
    "Link",
    "MatchResult",
    "Matcher",
    "Person",
    "ReviewOutcome",
    "assign_persons",
    "crosswalk_rows",
    "export_crosswalk",
    "get_person_by_uin",
    "ingest_record",
    "link_and_assign",
    "merge_reviewed",
    "persons_of_records",
    "quarantined",
    "resolve_source_id",
    "run_build",
    "settle_review",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'sijill.register' has no attribute {name!r}")
    return getattr(import_module(f"sijill.register.{module}"), name)

"""The unified social register: households, the socio-economic index, programs, cycles, payments.

Built on the population register: every member is a UIN. Programs, the index and the
cross-checks are configuration files (`sijill/social/programs/*.toml`, `index/`, `checks/`);
cycles are computed for every household at once and approved with four eyes. Names load on
first use (see `sijill.register`), so that the tables import without pandas.

Example:
    >>> from sijill.social import load_programs
    >>> sorted(load_programs())[:2]
    ['amo_tadamon', 'emergency_topup']
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sijill.social.changes import (
        PAYLOADS,
        decide_change,
        pending_changes,
        request_change,
    )
    from sijill.social.checks import (
        FLAG_KINDS,
        run_cross_checks,
    )
    from sijill.social.config import (
        Checks,
        IndexSpec,
        LoadedProgram,
        Program,
        index_to_toml,
        load_checks,
        load_index,
        load_program,
        load_programs,
    )
    from sijill.social.cycles import (
        CycleRun,
        approve_cycle,
        check_period,
        cycles_of_period,
        release_cycle,
        run_cycle,
        sector_token,
        write_cycle_files,
    )
    from sijill.social.emergency import (
        activations,
        switch_off,
        switch_on,
    )
    from sijill.social.errors import (
        HouseholdNotFound,
        InvalidConfiguration,
        InvalidHousehold,
        RuleRefused,
    )
    from sijill.social.following import (
        FollowOutcome,
        follow_register,
        hold_unpaid_for_deceased,
    )
    from sijill.social.households import (
        ImportOutcome,
        MemberDeclaration,
        import_households,
        read_documents,
        register_household,
    )
    from sijill.social.index import (
        TargetingErrors,
        explain_score,
        fit_index,
        log_consumption,
        score_frame,
        targeting_errors,
    )
    from sijill.social.models import (
        ChangeRequest,
        Cycle,
        EmergencyActivation,
        Entitlement,
        Household,
        HouseholdFlag,
        HouseholdMember,
        HouseholdResidence,
        HouseholdScore,
        IndexModel,
        Payment,
    )
    from sijill.social.payments import (
        Reconciliation,
        reconcile_payments,
        write_differences,
    )
    from sijill.social.queries import (
        get_household,
        household_entitlements,
        household_flags,
        household_members,
        household_of,
        household_view,
    )
    from sijill.social.reports import (
        bar_chart,
        cycle_amounts,
        exclusions_of,
        program_reach,
        reach_against_census,
        reach_by_sex,
        targeting_of_programs,
        write_report,
    )
    from sijill.social.rules import (
        EXCLUSION_REASONS,
        compute_program,
        period_bounds,
    )
    from sijill.social.scoring import (
        ScoreOutcome,
        explain_household,
        score_households,
        store_model,
        stored_model,
    )

_WHERE = {
    "Household": "models",
    "HouseholdMember": "models",
    "HouseholdResidence": "models",
    "HouseholdScore": "models",
    "HouseholdFlag": "models",
    "IndexModel": "models",
    "ChangeRequest": "models",
    "EmergencyActivation": "models",
    "Cycle": "models",
    "Entitlement": "models",
    "Payment": "models",
    "Program": "config",
    "IndexSpec": "config",
    "Checks": "config",
    "LoadedProgram": "config",
    "load_program": "config",
    "load_programs": "config",
    "load_index": "config",
    "load_checks": "config",
    "index_to_toml": "config",
    "ImportOutcome": "households",
    "MemberDeclaration": "households",
    "import_households": "households",
    "register_household": "households",
    "read_documents": "households",
    "request_change": "changes",
    "decide_change": "changes",
    "pending_changes": "changes",
    "PAYLOADS": "changes",
    "ScoreOutcome": "scoring",
    "score_households": "scoring",
    "explain_household": "scoring",
    "store_model": "scoring",
    "stored_model": "scoring",
    "fit_index": "index",
    "targeting_errors": "index",
    "score_frame": "index",
    "explain_score": "index",
    "log_consumption": "index",
    "TargetingErrors": "index",
    "FLAG_KINDS": "checks",
    "run_cross_checks": "checks",
    "FollowOutcome": "following",
    "follow_register": "following",
    "hold_unpaid_for_deceased": "following",
    "CycleRun": "cycles",
    "run_cycle": "cycles",
    "approve_cycle": "cycles",
    "release_cycle": "cycles",
    "write_cycle_files": "cycles",
    "cycles_of_period": "cycles",
    "sector_token": "cycles",
    "check_period": "cycles",
    "Reconciliation": "payments",
    "reconcile_payments": "payments",
    "write_differences": "payments",
    "switch_on": "emergency",
    "switch_off": "emergency",
    "activations": "emergency",
    "program_reach": "reports",
    "reach_against_census": "reports",
    "reach_by_sex": "reports",
    "cycle_amounts": "reports",
    "exclusions_of": "reports",
    "targeting_of_programs": "reports",
    "write_report": "reports",
    "bar_chart": "reports",
    "household_view": "queries",
    "get_household": "queries",
    "household_members": "queries",
    "household_flags": "queries",
    "household_entitlements": "queries",
    "household_of": "queries",
    "InvalidConfiguration": "errors",
    "InvalidHousehold": "errors",
    "HouseholdNotFound": "errors",
    "RuleRefused": "errors",
    "EXCLUSION_REASONS": "rules",
    "compute_program": "rules",
    "period_bounds": "rules",
}
__all__ = [
    "EXCLUSION_REASONS",
    "FLAG_KINDS",
    "PAYLOADS",
    "ChangeRequest",
    "Checks",
    "Cycle",
    "CycleRun",
    "EmergencyActivation",
    "Entitlement",
    "FollowOutcome",
    "Household",
    "HouseholdFlag",
    "HouseholdMember",
    "HouseholdNotFound",
    "HouseholdResidence",
    "HouseholdScore",
    "ImportOutcome",
    "IndexModel",
    "IndexSpec",
    "InvalidConfiguration",
    "InvalidHousehold",
    "LoadedProgram",
    "MemberDeclaration",
    "Payment",
    "Program",
    "Reconciliation",
    "RuleRefused",
    "ScoreOutcome",
    "TargetingErrors",
    "activations",
    "approve_cycle",
    "bar_chart",
    "check_period",
    "compute_program",
    "cycle_amounts",
    "cycles_of_period",
    "decide_change",
    "exclusions_of",
    "explain_household",
    "explain_score",
    "fit_index",
    "follow_register",
    "get_household",
    "hold_unpaid_for_deceased",
    "household_entitlements",
    "household_flags",
    "household_members",
    "household_of",
    "household_view",
    "import_households",
    "index_to_toml",
    "load_checks",
    "load_index",
    "load_program",
    "load_programs",
    "log_consumption",
    "pending_changes",
    "period_bounds",
    "program_reach",
    "reach_against_census",
    "reach_by_sex",
    "read_documents",
    "reconcile_payments",
    "register_household",
    "release_cycle",
    "request_change",
    "run_cross_checks",
    "run_cycle",
    "score_frame",
    "score_households",
    "sector_token",
    "store_model",
    "stored_model",
    "switch_off",
    "switch_on",
    "targeting_errors",
    "targeting_of_programs",
    "write_cycle_files",
    "write_differences",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'sijill.social' has no attribute {name!r}")
    return getattr(import_module(f"sijill.social.{module}"), name)

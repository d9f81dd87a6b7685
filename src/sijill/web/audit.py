"""What the desk discloses goes to the register's audit log first, as the services' calls do.

Every page that shows a person (a search's results, a person page, a pair under review, a
household) appends one entry per person shown, in the hash-chained log of
`sijill.identity` (actor `operator`, the desk user's name and role, `via` desk), before the
page is sent: nothing is shown without its entry. A resident's access log, and the person
page's for an auditor, list these entries with the agencies' calls.
"""

from collections.abc import Iterable

from sijill.web.desk import Desk

VIA = "desk"


def audit_disclosure(
    desk: Desk, *, user: str, role: str, operation: str, uins: Iterable[str], fields: tuple[str, ...] = ()
) -> int:
    """Append one audit entry per person shown (each UIN once); return how many."""
    from sijill.identity import ACTOR_OPERATOR, AuditRecord, append_entries

    records = [
        AuditRecord(
            operation=f"desk.{operation}",
            outcome="ok",
            status_code=200,
            actor=ACTOR_OPERATOR,
            agency=user,
            purpose=role,
            uin=uin,
            via=VIA,
            fields=fields,
        )
        for uin in dict.fromkeys(uins)
    ]
    if records:
        with desk.writing() as session:
            append_entries(session=session, records=records)
    return len(records)

"""`sijill event birth|death|correct|address`: life events, each one whole transaction."""

import json
from dataclasses import asdict
from typing import Annotated, Any

import typer

from sijill.cli.console import console
from sijill.cli.database import DbOption, open_register

event_app = typer.Typer(
    help="Life events: births, deaths, corrections, changes of address.", no_args_is_help=True
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]
ByOption = Annotated[str, typer.Option("--by", help="Who records it (the clerk's name), kept in the history")]
ActOption = Annotated[
    str | None, typer.Option("--act", help="The civil act's number (default: the next one)")
]


def _done(outcome: Any, as_json: bool, what: str) -> None:
    if as_json:
        console.print_json(json.dumps(asdict(outcome)))
        return
    via = f" (reached from UIN {outcome.resolved_from})" if outcome.resolved_from else ""
    console.print(
        f"{what}: UIN {outcome.uin}, version {outcome.version}, event {outcome.event_id}{via}",
        highlight=False,
    )


@event_app.command("birth")
def birth(
    mother: Annotated[str, typer.Option("--mother", help="The mother's UIN")],
    sex: Annotated[str, typer.Option("--sex", help="M or F")],
    date: Annotated[str, typer.Option("--date", help="The date of birth, YYYY-MM-DD")],
    commune: Annotated[str, typer.Option("--commune", help="The commune of birth (HCP code)")],
    by: ByOption,
    father: Annotated[str | None, typer.Option("--father", help="The father's UIN")] = None,
    family_ar: Annotated[str | None, typer.Option("--family-ar")] = None,
    given_ar: Annotated[str | None, typer.Option("--given-ar")] = None,
    family_lat: Annotated[str | None, typer.Option("--family-lat")] = None,
    given_lat: Annotated[str | None, typer.Option("--given-lat")] = None,
    act: ActOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Declare a birth: a new person with a new UIN, linked to its parents."""
    from sijill.register.events import BirthDeclaration, declare_birth

    child = BirthDeclaration(sex, date, commune, family_ar, given_ar, family_lat, given_lat)
    with open_register(db, write=True) as session:
        done = declare_birth(
            session, child=child, mother_uin=mother.strip(), father_uin=father, by=by, act_id=act
        )
    _done(done, as_json, "born")


@event_app.command("death")
def death(
    uin: Annotated[str, typer.Argument(help="The person's UIN")],
    date: Annotated[str, typer.Option("--date", help="The date of death, YYYY-MM-DD")],
    by: ByOption,
    act: ActOption = None,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Record a death: the person becomes deceased; the UIN is kept, never reissued."""
    from sijill.register.events import record_death

    with open_register(db, write=True) as session:
        done = record_death(session, uin=uin.strip(), death_date=date, by=by, act_id=act)
    _done(done, as_json, "deceased")


@event_app.command("correct")
def correct(
    uin: Annotated[str, typer.Argument(help="The person's UIN")],
    field: Annotated[str, typer.Option("--field", help="family_ar, given_ar, sex or birth_date")],
    value: Annotated[str, typer.Option("--value", help="The corrected value")],
    reason: Annotated[str, typer.Option("--reason", help="The court decision's reference")],
    by: ByOption,
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Correct a name, sex or date of birth by a court decision: a new version with its reason."""
    from sijill.register.events import correct_person

    with open_register(db, write=True) as session:
        done = correct_person(session, uin=uin.strip(), field=field, value=value, by=by, reason=reason)
    _done(done, as_json, "corrected")


@event_app.command("address")
def address(
    uin: Annotated[str, typer.Argument(help="The person's UIN")],
    commune: Annotated[str, typer.Option("--commune", help="The new commune of residence (HCP code)")],
    by: ByOption,
    reason: Annotated[str, typer.Option("--reason", help="Why (a reason code)")] = "moved",
    as_json: JsonOption = False,
    db: DbOption = None,
) -> None:
    """Record a change of address to another commune."""
    from sijill.register.events import change_address

    with open_register(db, write=True) as session:
        done = change_address(session, uin=uin.strip(), commune=commune, by=by, reason=reason)
    _done(done, as_json, "moved")

"""Register households: in bulk from a survey file, or one at a time with members by UIN.

Every member is a person of the population register, alive, and an active member of one
household at a time. A bulk import maps each declared member to a UIN through the document
the household declared (a CNIE card, a birth act, a MASSAR code) and the register's
crosswalk; a member it cannot accept (absent from the register, deceased, already in a
household) is kept as a rejected membership with the reason, so that the cross-checks show
it on the household.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, get_args

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from sijill.db.base import utcnow
from sijill.db.bulk import bulk_insert, next_ids
from sijill.geo import Commune, communes
from sijill.history import record_events
from sijill.register import PERSON_ACTIVE, get_person_by_uin
from sijill.social.config import Relationship
from sijill.social.errors import InvalidHousehold
from sijill.social.models import (
    HOUSEHOLD_ACTIVE,
    MEMBER_ACTIVE,
    MEMBER_REJECTED,
    REJECT_DECEASED,
    REJECT_DUPLICATE,
    REJECT_NOT_IN_REGISTER,
    Household,
    HouseholdMember,
    HouseholdResidence,
)
from sijill.social.people import crosswalk_of, is_deceased, persons_frame, survivors

logger = logging.getLogger(__name__)

RELATIONSHIPS: tuple[str, ...] = get_args(Relationship)
# Columns of a survey file that are not socio-economic variables.
STRUCTURE_COLUMNS = ("household_id", "commune", "area", "members", "member_ids", "size")
# Columns a survey may carry that the register must never hold as declared variables.
TRUTH_COLUMNS = ("consumption_per_capita",)
_CHUNK = 5000
HOUSEHOLD_ENTITY = "household"


@dataclass
class ImportOutcome:
    """What a household file brought: households created, updated, refused; members accepted."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    refused_lines: list[tuple[int, str]] = field(default_factory=list)
    members_accepted: int = 0
    members_rejected: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberDeclaration:
    """A member declared by UIN with their relationship to the head."""

    uin: str
    relationship: str


def read_documents(path: Path) -> dict[str, str]:
    """Read a generator's truth.csv into the document each person's household would declare.

    For household files written before `member_ids` existed: the CNIE card first, else the
    birth act, else the MASSAR code, as the generator now writes them. Only the choice of
    document comes from this file; the UIN always comes from the register's crosswalk.
    """
    truth = pd.read_csv(path, dtype=str, keep_default_na=False)
    order = {"cnie": 0, "civil": 1, "massar": 2}
    truth = truth[truth["source"].isin(order)].copy()
    truth["rank"] = truth["source"].map(order)
    first = truth.reset_index().sort_values(["person_id", "rank", "index"]).drop_duplicates("person_id")
    return dict(zip(first["person_id"], first["source"] + ":" + first["source_id"], strict=True))


# ---------------------------------------------------------------- reading the file


def _read_survey(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InvalidHousehold(f"{path}: cannot read as CSV: {type(exc).__name__}") from None
    for column in ("household_id", "commune", "members"):
        if column not in frame.columns:
            raise InvalidHousehold(f"{path}: no column {column!r}")
    frame["line"] = range(2, len(frame) + 2)
    return frame


def _explode_members(frame: pd.DataFrame, documents: Mapping[str, str] | None) -> pd.DataFrame:
    """Return one row per declared member: line, position, relationship, declared document."""
    entries = frame["members"].str.split(";")
    rows = frame[["line"]].assign(entry=entries).explode("entry")
    rows = rows[rows["entry"].fillna("") != ""].copy()
    parts = rows["entry"].str.partition(":")
    rows["generator_id"], rows["relationship"] = parts[0], parts[2]
    rows["position"] = rows.groupby("line").cumcount()
    if "member_ids" in frame.columns and documents is None:
        ids = frame[["line"]].assign(document=frame["member_ids"].str.split(";")).explode("document")
        ids["position"] = ids.groupby("line").cumcount()
        rows = rows.merge(ids, on=["line", "position"], how="left")
    else:
        rows["document"] = rows["generator_id"].map(documents or {})
    rows["document"] = rows["document"].fillna("")
    return rows.reset_index(drop=True)


def _refusals(frame: pd.DataFrame, members: pd.DataFrame) -> pd.Series:
    """Return the reason each refused line is refused for (lines that pass are absent)."""
    known = communes()
    reasons = pd.Series("", index=frame["line"].to_numpy(), dtype="object")
    reasons[~frame["commune"].isin(known).to_numpy()] = "commune not in the HCP list"
    reasons[(frame["household_id"] == "").to_numpy()] = "no household_id"
    bad_rel = members.loc[~members["relationship"].isin(RELATIONSHIPS), "line"].unique()
    reasons[bad_rel] = "unknown relationship (use " + ", ".join(RELATIONSHIPS) + ")"
    if "member_ids" in frame.columns:
        declared = frame["member_ids"].str.count(";") + (frame["member_ids"] != "").astype(int)
        listed = frame["members"].str.count(";") + (frame["members"] != "").astype(int)
        mismatch = ((declared != listed) & (frame["member_ids"] != "")).to_numpy()
        reasons[mismatch] = "members and member_ids do not have the same length"
    heads = members[members["relationship"] == "head"].groupby("line").size()
    no_head = ~pd.Series(frame["line"].to_numpy()).isin(heads[heads == 1].index).to_numpy()
    reasons[no_head & (reasons == "").to_numpy()] = "not exactly one head"
    return reasons[reasons != ""]


def _variables(frame: pd.DataFrame) -> list[dict[str, str]]:
    columns = [c for c in frame.columns if c not in (*STRUCTURE_COLUMNS, *TRUTH_COLUMNS, "line")]
    return [dict(zip(columns, values, strict=True)) for values in frame[columns].itertuples(index=False)]


# ---------------------------------------------------------------- resolving members


def _active_elsewhere(session: Session, person_ids: list[int]) -> dict[int, int]:
    """Return person id -> household id for those already active members of a household."""
    found: dict[int, int] = {}
    for i in range(0, len(person_ids), _CHUNK):
        chunk = person_ids[i : i + _CHUNK]
        stmt = select(HouseholdMember.person_id, HouseholdMember.household_id).where(
            HouseholdMember.person_id.in_(chunk), HouseholdMember.status == MEMBER_ACTIVE
        )
        found.update({int(p): int(h) for p, h in session.execute(stmt) if p is not None})
    return found


def _resolve(session: Session, members: pd.DataFrame) -> pd.DataFrame:
    """Give each declared member a person (or none) and a status: active or rejected, why."""
    crosswalk = crosswalk_of(session=session, documents=members["document"].unique())
    members = members.merge(crosswalk, on="document", how="left")
    members["person_id"] = members["person_id"].astype("Int64")
    persons = persons_frame(session=session, person_ids=members["person_id"].dropna())
    if len(persons):
        members["person_id"] = members["person_id"].map(survivors(persons)).astype("Int64")
    current = persons_frame(session=session, person_ids=members["person_id"].dropna())
    current = current[["person_id", "uin", "person_status", "death_date"]].astype({"person_id": "Int64"})
    members = members.merge(current, on="person_id", how="left")
    dead = is_deceased(members.fillna({"person_status": "", "death_date": ""}))
    members["status"], members["reason"] = MEMBER_ACTIVE, None
    missing = members["person_id"].isna()
    members.loc[missing, ["status", "reason"]] = [MEMBER_REJECTED, REJECT_NOT_IN_REGISTER]
    members.loc[~missing & dead, ["status", "reason"]] = [MEMBER_REJECTED, REJECT_DECEASED]
    live = members["status"] == MEMBER_ACTIVE
    elsewhere = _active_elsewhere(session, sorted(members.loc[live, "person_id"].astype("int64").unique()))
    taken = live & members["person_id"].isin(list(elsewhere))
    twice = live & members.duplicated("person_id", keep="first")
    members.loc[taken | twice, ["status", "reason"]] = [MEMBER_REJECTED, REJECT_DUPLICATE]
    return members


# ---------------------------------------------------------------- writing


def _existing(session: Session, refs: list[str]) -> dict[str, Household]:
    found: dict[str, Household] = {}
    for i in range(0, len(refs), _CHUNK):
        stmt = select(Household).where(Household.ref.in_(refs[i : i + _CHUNK]))
        found.update({h.ref: h for h in session.scalars(stmt) if h.ref is not None})
    return found


def _update_variables(
    session: Session, existing: dict[str, Household], frame: pd.DataFrame, by: str
) -> tuple[int, int]:
    """Update the variables of households already held; return (updated, unchanged)."""
    updated, events = 0, []
    for ref, variables in zip(frame["household_id"], _variables(frame), strict=True):
        household = existing[ref]
        if household.variables == variables:
            continue
        household.variables, household.version = variables, household.version + 1
        household.updated_at = utcnow()
        updated += 1
        events.append(_event(household.id, "variables_updated", {"by": by, "version": household.version}))
    record_events(session=session, build_id=None, events=events)
    return updated, len(frame) - updated


def _event(household_id: int, action: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {"entity": HOUSEHOLD_ENTITY, "entity_id": household_id, "action": action, "detail": detail}


def _insert_households(
    session: Session, frame: pd.DataFrame, members: pd.DataFrame, declared_on: date, by: str
) -> None:
    known, now, day = communes(), utcnow(), declared_on.isoformat()
    ids = next_ids(session, Household.__table__, len(frame))
    id_of_line = dict(zip(frame["line"], ids, strict=True))
    members["household_id"] = members["line"].map(id_of_line)
    heads = members[(members["relationship"] == "head") & (members["status"] == MEMBER_ACTIVE)]
    head_of = dict(zip(heads["household_id"], heads["person_id"].astype("int64"), strict=True))
    rows = []
    for hid, ref, code, variables in zip(
        ids, frame["household_id"], frame["commune"], _variables(frame), strict=True
    ):
        commune: Commune = known[code]
        rows.append(
            {
                "id": hid,
                "ref": ref,
                "commune": code,
                "urban": commune.urban,
                "region_code": commune.region_code,
                "province_code": commune.province_code,
                "head_person_id": head_of.get(hid),
                "variables": variables,
                "declared_on": day,
                "status": HOUSEHOLD_ACTIVE,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    bulk_insert(session, Household.__table__, rows)
    _insert_members(session, members, day)
    residences = [
        {"household_id": r["id"], "commune": r["commune"], "start_date": day, "end_date": None} for r in rows
    ]
    bulk_insert(session, HouseholdResidence.__table__, residences)
    record_events(session=session, build_id=None, events=_registration_events(members, by))


def _insert_members(session: Session, members: pd.DataFrame, day: str) -> None:
    person = members["person_id"].astype("Int64")
    rows = [
        {
            "household_id": int(h),
            "person_id": None if pd.isna(p) else int(p),
            "uin": None if pd.isna(u) else u,
            "declared_ref": d or None,
            "relationship": rel,
            "status": s,
            "reason": r,
            "start_date": day,
            "end_date": None,
        }
        for h, p, u, d, rel, s, r in zip(
            members["household_id"],
            person,
            members["uin"],
            members["document"],
            members["relationship"],
            members["status"],
            members["reason"],
            strict=True,
        )
    ]
    bulk_insert(session, HouseholdMember.__table__, rows)


def _registration_events(members: pd.DataFrame, by: str) -> list[dict[str, Any]]:
    counts = members.groupby(["household_id", "status"]).size().unstack(fill_value=0)
    return [
        _event(
            int(hid),
            "registered",
            {
                "by": by,
                "members": int(row.get(MEMBER_ACTIVE, 0)),
                "rejected": int(row.get(MEMBER_REJECTED, 0)),
            },
        )
        for hid, row in counts.iterrows()
    ]


def import_households(
    *,
    session: Session,
    path: Path,
    declared_on: date,
    by: str,
    documents: Mapping[str, str] | None = None,
) -> ImportOutcome:
    """Register the households of a survey file (the generator's households.csv), in bulk.

    Households already held (same `household_id`) keep their members; their variables are
    updated when they changed. `documents` maps the file's own member ids to a declared
    document when the file has no `member_ids` column (see `read_documents`).
    """
    frame = _read_survey(path)
    if "member_ids" not in frame.columns and documents is None:
        raise InvalidHousehold(f"{path}: no column 'member_ids': name the declared documents (--documents)")
    members = _explode_members(frame, documents)
    outcome = ImportOutcome(rows=len(frame))
    refused = _refusals(frame, members)
    outcome.refused = {str(k): int(v) for k, v in refused.value_counts().items()}
    outcome.refused_lines = [(int(line), str(why)) for line, why in refused.head(20).items()]
    frame = frame[~frame["line"].isin(refused.index)]
    twice = frame["household_id"].duplicated(keep="first")
    if twice.any():
        outcome.refused["household_id repeated in the file"] = int(twice.sum())
        frame = frame[~twice]
    existing = _existing(session, frame["household_id"].tolist())
    held = frame["household_id"].isin(existing)
    outcome.updated, outcome.unchanged = _update_variables(session, existing, frame[held], by)
    new = frame[~held]
    members = members[members["line"].isin(new["line"])].reset_index(drop=True)
    if len(new):
        members = _resolve(session, members)
        _insert_households(session, new, members, declared_on, by)
    outcome.created = len(new)
    accepted = members["status"] == MEMBER_ACTIVE if len(members) else pd.Series(dtype=bool)
    outcome.members_accepted = int(accepted.sum())
    if len(members):
        rejected = members.loc[~accepted, "reason"].value_counts()
        outcome.members_rejected = {str(k): int(v) for k, v in rejected.items()}
    logger.info(
        "households imported: %d created, %d updated, %d refused",
        outcome.created,
        outcome.updated,
        len(refused),
    )
    return outcome


# ---------------------------------------------------------------- one household by UIN


def _member_person_ids(session: Session, members: Sequence[MemberDeclaration]) -> list[int]:
    """Return the person of each declared UIN, refusing one absent, deceased or taken."""
    ids: list[int] = []
    for position, member in enumerate(members, start=1):
        if member.relationship not in RELATIONSHIPS:
            raise InvalidHousehold(
                f"member {position}: unknown relationship (use {', '.join(RELATIONSHIPS)})"
            )
        person = get_person_by_uin(session=session, uin=member.uin)
        if person is None:
            raise InvalidHousehold(f"member {position}: no person of the register holds this UIN")
        if person.status != PERSON_ACTIVE or person.death_date:
            raise InvalidHousehold(f"member {position}: the register holds this person as deceased")
        if person.id in ids:
            raise InvalidHousehold(f"member {position}: declared twice")
        elsewhere = _active_elsewhere(session, [person.id])
        if elsewhere:
            raise InvalidHousehold(
                f"member {position}: already a member of household {elsewhere[person.id]}; ask for a move"
            )
        ids.append(person.id)
    return ids


def register_household(
    *,
    session: Session,
    commune: str,
    members: Sequence[MemberDeclaration],
    variables: Mapping[str, str],
    declared_on: date,
    by: str,
    ref: str | None = None,
) -> Household:
    """Register one household whose members are named by UIN; refuse it whole if one is not valid."""
    place = communes().get(commune)
    if place is None:
        raise InvalidHousehold("commune: not in the HCP list of communes")
    if sum(m.relationship == "head" for m in members) != 1:
        raise InvalidHousehold("members: exactly one member must be the head")
    if ref is not None and _existing(session, [ref]):
        raise InvalidHousehold("ref: a household with this reference is already registered")
    person_ids = _member_person_ids(session, members)
    day = declared_on.isoformat()
    household = Household(
        ref=ref,
        commune=commune,
        urban=place.urban,
        region_code=place.region_code,
        province_code=place.province_code,
        variables={k: str(v) for k, v in variables.items() if k not in TRUTH_COLUMNS},
        declared_on=day,
        status=HOUSEHOLD_ACTIVE,
    )
    session.add(household)
    session.flush()
    for member, pid in zip(members, person_ids, strict=True):
        person = get_person_by_uin(session=session, uin=member.uin)
        uin = person.uin if person is not None else member.uin
        session.add(
            HouseholdMember(
                household_id=household.id,
                person_id=pid,
                uin=uin,
                relationship=member.relationship,
                status=MEMBER_ACTIVE,
                start_date=day,
            )
        )
        if member.relationship == "head":
            household.head_person_id = pid
    session.add(HouseholdResidence(household_id=household.id, commune=commune, start_date=day))
    session.flush()
    record_events(
        session=session,
        build_id=None,
        events=[_event(household.id, "registered", {"by": by, "members": len(members), "rejected": 0})],
    )
    return household

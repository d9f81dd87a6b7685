"""A program's rules applied to every household at once, on data frames.

`compute_program` reads a program's configuration and the cycle's inputs (households,
memberships with the persons' attributes, flags, emergency areas) and returns the
entitlements, their lines (one per child, member or flat component) and the exclusions with
their reasons. It is pure: the same inputs give the same result, row for row, which is what
makes cycles idempotent.

Dates: a member counts when their membership is open on the first day of the period and
they are alive that day; ages are completed years on that day. The recipient must be alive
when the cycle is computed. A birth grant goes to children born within the period.
"""

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from sijill.social.config import Benefit, Children, Program, RecipientChoice

ABOVE_THRESHOLD = "above_threshold"
CONDITION_NOT_MET = "condition_not_met"
DECEASED = "deceased"
DUPLICATE = "duplicate"
NOT_IN_REGISTER = "not_in_register"
EXCLUSION_REASONS = (DECEASED, DUPLICATE, NOT_IN_REGISTER, ABOVE_THRESHOLD, CONDITION_NOT_MET)
# A flag that excludes a household says the household is better off than the line.
FLAG_REASONS = {"cnss_wage_above": ABOVE_THRESHOLD}

ENTITLEMENT_COLUMNS = [
    "household_id",
    "recipient_person_id",
    "recipient_uin",
    "recipient_sex",
    "amount_mad",
    "score",
    "commune",
    "region_code",
    "urban",
    "persons",
]
LINE_COLUMNS = ["household_id", "beneficiary_person_id", "component", "rule", "amount_mad"]
EXCLUSION_COLUMNS = ["reason", "detail", "households", "persons"]


@dataclass
class CycleInputs:
    """Everything a cycle reads, as frames, for one period.

    households: household_id, commune, urban, region_code, score, head_marital_status.
    members: every declared membership (rejected ones too) with member_id, household_id,
      person_id, uin, relationship, status, reason, start_date, end_date, sex, birth_date,
      death_date, person_status, enrolled, attendance.
    flags: household_id, kind.
    emergency: program id -> ids of the households living in its listed communes on the
      event date of an activation covering the period.
    alive_now: ids of the persons alive when the cycle is computed.
    """

    period: str
    start: date
    end: date
    households: pd.DataFrame
    members: pd.DataFrame
    flags: pd.DataFrame
    emergency: dict[str, set[int]]
    alive_now: set[int]
    at_start: pd.DataFrame | None = field(default=None, repr=False)


@dataclass
class ProgramResult:
    """What a program owes for a period, and who it leaves out, and why."""

    entitlements: pd.DataFrame
    lines: pd.DataFrame
    exclusions: pd.DataFrame


def period_bounds(period: str) -> tuple[date, date]:
    """Return the first and last day of a `YYYY-MM` period."""
    first = date.fromisoformat(f"{period}-01")
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def previous_period(period: str) -> str:
    """Return the period before a `YYYY-MM` period."""
    first, _ = period_bounds(period)
    before = date.fromordinal(first.toordinal() - 1)
    return f"{before.year:04d}-{before.month:02d}"


# ---------------------------------------------------------------- members at the period's start


def members_at_start(inputs: CycleInputs) -> pd.DataFrame:
    """Return the memberships open on the first day, with age and whether alive that day.

    Computed once per cycle's inputs and shared by every program.
    """
    if inputs.at_start is None:
        inputs.at_start = _members_at_start(inputs)
    return inputs.at_start


def _members_at_start(inputs: CycleInputs) -> pd.DataFrame:
    m = inputs.members
    start = inputs.start.isoformat()
    open_then = (
        (m["status"] != "rejected")
        & (m["start_date"] <= start)
        & (m["end_date"].isna() | (m["end_date"].fillna("") > start))
    )
    out = m[open_then].copy()
    died = out["death_date"].fillna("")
    out["alive"] = (out["birth_date"].fillna("") <= start) & ((died == "") | (died >= start))
    out["age"] = _age(out["birth_date"], inputs.start)
    return out


def _age(birth: pd.Series, on: date) -> pd.Series:
    from sijill.social.people import age_on

    return age_on(birth, on)


# ---------------------------------------------------------------- household conditions


def _reason(frame: pd.DataFrame, mask: pd.Series, category: str, detail: str) -> None:
    """Give a first reason to the households of the mask that have none yet."""
    free = frame["reason"].isna() & mask.reindex(frame.index, fill_value=False)
    frame.loc[free, "reason"] = category
    frame.loc[free, "detail"] = detail


def _children(program: Program, members: pd.DataFrame) -> pd.DataFrame:
    spec: Children | None = program.children
    if spec is None:
        return members.iloc[0:0]
    alive = members[members["alive"]]
    return alive[alive["relationship"].isin(spec.relationships) & (alive["age"] < spec.age_below.value)]


def _widowed_heads(households: pd.DataFrame, members: pd.DataFrame) -> pd.Series:
    heads = members[(members["relationship"] == "head") & members["alive"] & (members["sex"] == "F")]
    widowed = households["head_marital_status"].fillna("") == "widowed"
    return households["household_id"].isin(heads["household_id"]) & widowed


def household_reasons(program: Program, inputs: CycleInputs, members: pd.DataFrame) -> pd.DataFrame:
    """Return the households with the first reason each is left out for (none when eligible)."""
    h = inputs.households[["household_id", "score"]].copy()
    h["reason"], h["detail"] = None, None
    e = program.eligibility
    if e.index_max is not None:
        _reason(h, h["score"].isna(), CONDITION_NOT_MET, "no index score")
        _reason(h, h["score"] > e.index_max.value, ABOVE_THRESHOLD, f"index above {e.index_max.value}")
    if e.area != "any":
        urban = inputs.households["urban"].astype(bool)
        _reason(h, urban != (e.area == "urban"), CONDITION_NOT_MET, f"not in a {e.area} commune")
    for kind in e.exclude_flags:
        flagged = h["household_id"].isin(inputs.flags.loc[inputs.flags["kind"] == kind, "household_id"])
        _reason(h, flagged, FLAG_REASONS.get(kind, CONDITION_NOT_MET), f"flag {kind}")
    for condition in e.require:
        if condition == "widowed_female_head":
            met = _widowed_heads(inputs.households, members)
            _reason(h, ~met, CONDITION_NOT_MET, "head is not a widowed woman")
        elif condition == "emergency_area":
            area = inputs.emergency.get(program.id, set())
            _reason(
                h,
                ~h["household_id"].isin(area),
                CONDITION_NOT_MET,
                "not in a listed commune on the event date",
            )
        else:
            with_children = h["household_id"].isin(_children(program, members)["household_id"])
            _reason(h, ~with_children, CONDITION_NOT_MET, "no child")
    return h


# ---------------------------------------------------------------- benefits


def _rank(children: pd.DataFrame, oldest_first: bool) -> pd.Series:
    ordered = children.sort_values(
        ["household_id", "birth_date", "person_id"], ascending=[True, oldest_first, oldest_first]
    )
    return (ordered.groupby("household_id").cumcount() + 1).reindex(children.index)


def _child_lines(
    program: Program, benefit: Benefit, counted: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the lines of a per-child benefit and the children no rate applies to."""
    amount = pd.Series(np.nan, index=counted.index)
    rule = pd.Series("", index=counted.index, dtype="object")
    enrolled = counted["enrolled"].astype(bool)
    for rate in benefit.rates:
        match = (counted["age"] >= rate.ages[0]) & (counted["age"] <= rate.ages[1]) & amount.isna()
        if rate.ranks is not None:
            match &= (counted["rank"] >= rate.ranks[0]) & (counted["rank"] <= rate.ranks[1])
        if rate.school != "any":
            match &= enrolled if rate.school == "enrolled" else ~enrolled
        amount[match], rule[match] = rate.amount.value, rate.label
    paid = amount.notna()
    lines = _lines(
        counted.loc[paid, "household_id"],
        counted.loc[paid, "person_id"],
        benefit.component,
        rule[paid],
        amount[paid].astype("int64"),
    )
    return lines, counted[~paid]


def _counted_children(
    program: Program, children: pd.DataFrame
) -> tuple[pd.DataFrame, list[tuple[pd.DataFrame, str]]]:
    """Apply the children's schooling conditions and the cap on their number; rank them."""
    spec = program.children
    assert spec is not None
    left_out: list[tuple[pd.DataFrame, str]] = []
    kept = children
    if spec.enrolled:
        left_out.append((kept[~kept["enrolled"].astype(bool)], "child not enrolled in MASSAR"))
        kept = kept[kept["enrolled"].astype(bool)]
    if spec.attendance_min is not None:
        low = kept["attendance"].fillna(0.0) < spec.attendance_min.value
        left_out.append((kept[low], f"attendance below {spec.attendance_min.value:g}"))
        kept = kept[~low]
    kept = kept.assign(rank=_rank(kept, spec.rank == "oldest_first"))
    if spec.max_counted is not None:
        beyond = kept["rank"] > spec.max_counted.value
        left_out.append((kept[beyond], f"beyond the {_ordinal(spec.max_counted.value)} counted child"))
        kept = kept[~beyond]
    return kept, left_out


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _birth_lines(program: Program, benefit: Benefit, inputs: CycleInputs, eligible: pd.Index) -> pd.DataFrame:
    spec = program.children
    assert spec is not None
    m = inputs.members
    start, end = inputs.start.isoformat(), inputs.end.isoformat()
    children = m[
        (m["status"] != "rejected")
        & m["relationship"].isin(spec.relationships)
        & m["household_id"].isin(eligible)
        & m["birth_date"].notna()
    ].copy()
    children = children.sort_values(["household_id", "birth_date", "person_id"])
    children["birth_rank"] = children.groupby("household_id").cumcount() + 1
    born = children[(children["birth_date"] >= start) & (children["birth_date"] <= end)]
    rates = {b.birth_rank: b for b in benefit.births}
    born = born[born["birth_rank"].isin(rates)]
    return _lines(
        born["household_id"],
        born["person_id"],
        benefit.component,
        born["birth_rank"].map(lambda r: rates[r].label),
        born["birth_rank"].map(lambda r: rates[r].amount.value).astype("int64"),
    )


def _household_lines(benefit: Benefit, households: pd.Index, with_children: pd.Index) -> pd.DataFrame:
    assert benefit.amount is not None
    ids = pd.Series(households)
    if benefit.when == "no_children":
        ids = ids[~ids.isin(with_children)]
    elif benefit.when == "has_children":
        ids = ids[ids.isin(with_children)]
    rule = {
        "always": "per household",
        "no_children": "household without children",
        "has_children": "household with children",
    }
    return _lines(ids, None, benefit.component, rule[benefit.when], benefit.amount.value)


def _member_lines(benefit: Benefit, members: pd.DataFrame) -> pd.DataFrame:
    assert benefit.amount is not None
    alive = members[members["alive"]]
    return _lines(
        alive["household_id"], alive["person_id"], benefit.component, "per member", benefit.amount.value
    )


def _limit_lines(program: Program, lines: pd.DataFrame, eligible: pd.Index) -> pd.DataFrame:
    """Return the top-up to the household minimum and the cut to the household maximum."""
    limited = {b.component for b in program.benefits if b.in_limits}
    sums = lines[lines["component"].isin(limited)].groupby("household_id")["amount_mad"].sum()
    sums = sums.reindex(eligible, fill_value=0)
    parts = []
    if program.limits.minimum is not None:
        low = sums[sums < program.limits.minimum.value]
        parts.append(
            _adjustment(low.index, program.limits.minimum.value - low, "minimum", "household minimum")
        )
    if program.limits.maximum is not None:
        high = sums[sums > program.limits.maximum.value]
        parts.append(
            _adjustment(high.index, program.limits.maximum.value - high, "maximum", "household maximum")
        )
    return pd.concat(parts, ignore_index=True) if parts else _empty_lines()


def _adjustment(ids: pd.Index, amounts: pd.Series, component: str, rule: str) -> pd.DataFrame:
    return _lines(ids, None, component, rule, amounts.to_numpy().astype("int64"))


def _lines(
    households: object, beneficiaries: object, component: str, rule: object, amounts: object
) -> pd.DataFrame:
    """Return lines with one set of dtypes, whatever built them (none may be all missing)."""
    ids = np.asarray(households, dtype="int64")
    persons = pd.array(beneficiaries if beneficiaries is not None else [pd.NA] * len(ids), dtype="Int64")
    return pd.DataFrame(
        {
            "household_id": ids,
            "beneficiary_person_id": persons,
            "component": component,
            "rule": np.asarray(rule, dtype="object") if not isinstance(rule, str) else rule,
            "amount_mad": np.broadcast_to(np.asarray(amounts, dtype="int64"), ids.shape).copy(),
        },
        columns=LINE_COLUMNS,
    )


def _empty_lines() -> pd.DataFrame:
    return _lines([], [], "", [], [])


# ---------------------------------------------------------------- recipients


def _matches(members: pd.DataFrame, choice: RecipientChoice) -> pd.Series:
    mask = pd.Series(True, index=members.index)
    if choice.relationships is not None:
        mask &= members["relationship"].isin(choice.relationships)
    if choice.sex is not None:
        mask &= members["sex"] == choice.sex
    return mask


def choose_recipients(program: Program, members: pd.DataFrame, alive_now: set[int]) -> pd.DataFrame:
    """Return each household's recipient: the first living adult member matching a choice."""
    spec = program.recipient
    candidates = members[
        members["alive"] & members["person_id"].isin(alive_now) & (members["age"] >= spec.min_age)
    ].copy()
    candidates["choice"] = len(spec.prefer)
    for i, choice in reversed(list(enumerate(spec.prefer))):
        candidates.loc[_matches(candidates, choice), "choice"] = i
    candidates = candidates[candidates["choice"] < len(spec.prefer)]
    best = candidates.sort_values(["household_id", "choice", "member_id"]).drop_duplicates("household_id")
    return best[["household_id", "person_id", "uin", "sex"]].rename(
        columns={"person_id": "recipient_person_id", "uin": "recipient_uin", "sex": "recipient_sex"}
    )


# ---------------------------------------------------------------- the program


def _person_exclusions(
    inputs: CycleInputs, eligible: pd.Index, members: pd.DataFrame
) -> list[tuple[pd.DataFrame, str, str]]:
    """Return the declared persons of eligible households who are not counted, and why."""
    m = inputs.members[inputs.members["household_id"].isin(eligible)]
    rejected = m[m["status"] == "rejected"]
    out = [
        (rejected[rejected["reason"] == "duplicate"], DUPLICATE, "declared in another household"),
        (
            rejected[rejected["reason"] == "not_in_register"],
            NOT_IN_REGISTER,
            "declared member not in the register",
        ),
        (rejected[rejected["reason"] == "deceased"], DECEASED, "declared member deceased"),
    ]
    dead = members[
        members["household_id"].isin(eligible)
        & ~members["alive"]
        & members["birth_date"].fillna("").le(inputs.start.isoformat())
    ]
    previous, _ = period_bounds(previous_period(inputs.period))
    ended = m[
        (m["reason"] == "death")
        & (m["end_date"].fillna("") >= previous.isoformat())
        & (m["end_date"].fillna("") <= inputs.start.isoformat())
    ]
    out.append(
        (pd.concat([dead, ended]).drop_duplicates("member_id"), DECEASED, "member died before the period")
    )
    return out


def _exclusion_rows(
    households: pd.DataFrame, persons_of: pd.Series, person_level: list[tuple[pd.DataFrame, str, str]]
) -> pd.DataFrame:
    out = households[households["reason"].notna()].copy()
    out["persons"] = out["household_id"].map(persons_of).fillna(0).astype("int64")
    rows = out.groupby(["reason", "detail"]).agg(
        households=("household_id", "size"), persons=("persons", "sum")
    )
    rows = rows.reset_index()
    extra = [
        {
            "reason": reason,
            "detail": detail,
            "households": frame["household_id"].nunique(),
            "persons": len(frame),
        }
        for frame, reason, detail in person_level
        if len(frame)
    ]
    table = pd.concat([rows, pd.DataFrame(extra, columns=EXCLUSION_COLUMNS)], ignore_index=True)
    table = table.groupby(["reason", "detail"], as_index=False)[["households", "persons"]].sum()
    table[["households", "persons"]] = table[["households", "persons"]].astype("int64")
    return table.sort_values(["reason", "detail"]).reset_index(drop=True)[EXCLUSION_COLUMNS]


def compute_program(program: Program, inputs: CycleInputs) -> ProgramResult:
    """Compute a program's entitlements, lines and exclusions for every household of a period."""
    members = members_at_start(inputs)
    households = household_reasons(program, inputs, members)
    eligible = pd.Index(households.loc[households["reason"].isna(), "household_id"])
    in_eligible = members[members["household_id"].isin(eligible)]
    parts, child_out = _benefit_lines(program, inputs, in_eligible, eligible)
    lines = pd.concat([p for p in parts if len(p)] or [_empty_lines()], ignore_index=True)
    limits = _limit_lines(program, lines, eligible)
    lines = pd.concat([x for x in (lines, limits) if len(x)] or [_empty_lines()], ignore_index=True)
    totals = lines.groupby("household_id")["amount_mad"].sum()
    recipients = choose_recipients(program, in_eligible, inputs.alive_now).set_index("household_id")
    nothing_due = eligible[~eligible.isin(totals[totals > 0].index)]
    _reason(households, households["household_id"].isin(nothing_due), CONDITION_NOT_MET, "nothing due")
    no_one = eligible[~eligible.isin(recipients.index) & ~eligible.isin(nothing_due)]
    _reason(
        households,
        households["household_id"].isin(no_one),
        CONDITION_NOT_MET,
        "no living adult member to receive the payment",
    )
    paid = eligible[~eligible.isin(nothing_due) & ~eligible.isin(no_one)]
    # A person is never paid twice for one program and period, whatever the data says.
    shared = paid[recipients.loc[paid, "recipient_person_id"].duplicated(keep="first").to_numpy()]
    _reason(
        households,
        households["household_id"].isin(shared),
        DUPLICATE,
        "recipient already paid for another household",
    )
    paid = paid[~paid.isin(shared)]
    persons_of = members[members["alive"]].groupby("household_id").size()
    entitlements = _entitlements(inputs, paid, totals, recipients, persons_of)
    lines = lines[lines["household_id"].isin(entitlements["household_id"])]
    lines = lines.sort_values(["household_id", "component", "beneficiary_person_id"], na_position="first")
    person_level = _person_exclusions(inputs, paid, members) + [
        (frame, CONDITION_NOT_MET, why) for frame, why in child_out if len(frame)
    ]
    person_level = [(f[f["household_id"].isin(paid)], r, d) for f, r, d in person_level]
    exclusions = _exclusion_rows(households, persons_of, person_level)
    return ProgramResult(entitlements, lines.reset_index(drop=True)[LINE_COLUMNS], exclusions)


def _benefit_lines(
    program: Program, inputs: CycleInputs, members: pd.DataFrame, eligible: pd.Index
) -> tuple[list[pd.DataFrame], list[tuple[pd.DataFrame, str]]]:
    children = _children(program, members)
    with_children = pd.Index(children["household_id"].unique())
    parts: list[pd.DataFrame] = []
    child_out: list[tuple[pd.DataFrame, str]] = []
    counted: pd.DataFrame | None = None
    for benefit in program.benefits:
        if benefit.per == "child":
            if counted is None:
                counted, child_out = _counted_children(program, children)
            lines, unmatched = _child_lines(program, benefit, counted)
            parts.append(lines)
            child_out.append((unmatched, f"no {benefit.component} rate for this age and schooling"))
        elif benefit.per == "birth":
            parts.append(_birth_lines(program, benefit, inputs, eligible))
        elif benefit.per == "member":
            parts.append(_member_lines(benefit, members))
        else:
            parts.append(_household_lines(benefit, eligible, with_children))
    return parts, child_out


def _entitlements(
    inputs: CycleInputs, paid: pd.Index, totals: pd.Series, recipients: pd.DataFrame, persons_of: pd.Series
) -> pd.DataFrame:
    h = inputs.households.set_index("household_id").loc[paid]
    out = pd.DataFrame(
        {
            "household_id": paid.to_numpy(),
            "recipient_person_id": recipients.loc[paid, "recipient_person_id"].to_numpy(),
            "recipient_uin": recipients.loc[paid, "recipient_uin"].to_numpy(),
            "recipient_sex": recipients.loc[paid, "recipient_sex"].to_numpy(),
            "amount_mad": totals.loc[paid].to_numpy().astype("int64"),
            "score": h["score"].to_numpy(),
            "commune": h["commune"].to_numpy(),
            "region_code": h["region_code"].to_numpy(),
            "urban": h["urban"].astype(bool).to_numpy(),
            "persons": persons_of.reindex(paid, fill_value=0).to_numpy().astype("int64"),
        }
    )
    return out.sort_values("household_id").reset_index(drop=True)[ENTITLEMENT_COLUMNS]

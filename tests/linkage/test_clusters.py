"""Clustering resists chains and obeys the guards, and the guards yield to identifying evidence."""

from typing import Any

import duckdb
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sijill.linkage.clusters import (
    COMPACT_COLUMNS,
    COMPACT_PAIRS_SQL,
    ChainResistantClustering,
    cluster_pairs,
    compact_pairs,
    reachable_pairs,
)
from sijill.linkage.spec import Thresholds
from sijill.names import loose_key, strict_key
from sijill.names.keys import form_key, head_key

T = Thresholds()
SIDES = (
    "source",
    "sex",
    "birth_date",
    "birth_year",
    "birth_month",
    "birth_day",
    "family_key",
    "family_strict",
    "given_key",
    "given_strict",
    "given_form",
    "given_skeleton",
    "given_spelt",
    "given_head",
    "cnie",
    "household_ref",
    "guardian_cnie",
)
PAIR_COLUMNS = ["record_id_l", "record_id_r", "match_weight", *(f"{c}_{s}" for c in SIDES for s in "lr")]


def _given(name: str | None) -> dict[str, Any]:
    """Return the given-name columns of one record, as the linkage frame computes them."""
    if name is None:
        return dict.fromkeys(
            ("given_key", "given_strict", "given_form", "given_skeleton", "given_spelt", "given_head")
        )
    form = form_key(name) or None
    return {
        "given_key": loose_key(name),
        "given_strict": strict_key(name),
        "given_form": form,
        "given_skeleton": "".join(c for c in form if c not in "AIU") if form else None,
        "given_spelt": strict_key(name),
        "given_head": head_key(name)[:1],
    }


def _side(
    *, source: str, sex: str | None, born: str | None, family: str, given: str | None, **kw: str | None
) -> dict[str, Any]:
    year, month, day = (int(p) for p in born.split("-")) if born else (None, None, None)
    return {
        "source": source,
        "sex": sex,
        "birth_date": born,
        "birth_year": year,
        "birth_month": month,
        "birth_day": day,
        "family_key": loose_key(family),
        "family_strict": strict_key(family),
        **_given(given),
        "cnie": kw.get("card"),
        "household_ref": kw.get("household"),
        "guardian_cnie": kw.get("guardian"),
    }


def _pair(a: int, b: int, w: float, left: dict[str, Any] | None = None, **right: Any) -> dict[str, object]:
    """Return one wide scored pair: two records, by default a man, Mohammed El Alaoui, born
    1980-03-04, in civil (left) and CNIE (right); keyword arguments change the right one."""
    base = {"sex": "M", "born": "1980-03-04", "family": "العلوي", "given": "محمد"}
    lside = _side(**{"source": "civil", **base, **(left or {})})
    rside = _side(**{"source": "cnie", **base, **right})
    row: dict[str, object] = {"record_id_l": a, "record_id_r": b, "match_weight": w}
    for column in SIDES:
        row[f"{column}_l"], row[f"{column}_r"] = lside[column], rside[column]
    return row


def _records(*rows: tuple[int, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id", "source"])


def _cluster(
    records: pd.DataFrame, pairs: list[dict[str, object]], **kw: list[tuple[int, int]]
) -> dict[int, int]:
    result = cluster_pairs(
        records,
        compact_pairs(pd.DataFrame(pairs, columns=PAIR_COLUMNS)),
        T,
        must_link=kw.get("must", []),
        cannot_link=kw.get("cannot", []),
    )
    return result.cluster_of


def _guarded(pair: dict[str, object]) -> bool:
    return bool(compact_pairs(pd.DataFrame([pair], columns=PAIR_COLUMNS))["guarded"].iloc[0])


CIVIL_CNIE = _records((1, "civil"), (2, "cnie"))


def test_strong_pairs_link() -> None:
    clusters = _cluster(CIVIL_CNIE, [_pair(1, 2, 20.0)])
    assert clusters[1] == clusters[2]


def test_different_sex_never_links_on_names_and_date_alone() -> None:
    pair = _pair(1, 2, 40.0, sex="F")
    assert _guarded(pair)
    clusters = _cluster(CIVIL_CNIE, [pair])
    assert clusters[1] != clusters[2]


def test_different_sex_yields_to_an_equal_card() -> None:
    pair = _pair(1, 2, 40.0, {"card": "BK123456"}, sex="F", card="BK123456")
    assert not _guarded(pair)
    assert _cluster(CIVIL_CNIE, [pair])[1] == _cluster(CIVIL_CNIE, [pair])[2]


def test_different_sex_yields_to_one_household_one_date_and_close_names() -> None:
    # A sex miscoded on one record of one household member: the same person.
    left = {"given": "Mohamed", "household": "42"}
    miscoded = _pair(1, 2, 20.0, left, given="Mohamad", household="42", sex="F")
    elsewhere = _pair(1, 2, 20.0, left, given="Mohamad", household="43", sex="F")
    assert not _guarded(miscoded)
    assert _guarded(elsewhere)


def test_twins_never_merge() -> None:
    pair = _pair(1, 2, 30.0, {"given": "حسن"}, given="حسين")  # Hassan's record against Houssine's
    assert _guarded(pair)
    assert _cluster(CIVIL_CNIE, [pair])[1] != _cluster(CIVIL_CNIE, [pair])[2]


def test_twins_named_with_look_alike_names_never_merge() -> None:
    for left, right in [
        ("محمد", "محمود"),  # Mohammed, Mahmoud
        ("حميد", "أحمد"),  # Hamid, Ahmed
        ("سعيد", "سعد"),  # Said, Saad
        ("هشام", "هاشم"),  # Hicham, Hachem: the alif moves
        ("عصام", "سعد"),  # Issam, Saad: the ʿayn and the alif tell them apart
        ("عبد الحق", "عبد الإله"),  # Abdelhak, Abdelilah
        ("عبد الله", "عبدالإله"),  # Abdellah, Abdelilah, joined
        ("عبد المالك", "عبد الخالق"),  # Abdelmalek, Abdelkhalek: the second element decides
        ("Abdelhak", "Abdelilah"),
        ("Jamal", "Kamal"),
    ]:
        assert _guarded(_pair(1, 2, 30.0, {"given": left}, given=right)), (left, right)


def test_a_typo_in_the_given_name_is_not_taken_for_twins() -> None:
    for left, right in [
        ("Rachid", "Rachit"),
        ("رشيد", "رشيت"),
        ("Bouchaib", "Bouchiab"),
        ("محمد", "Mohamed"),
    ]:
        assert not _guarded(_pair(1, 2, 30.0, {"given": left}, given=right)), (left, right)
    clusters = _cluster(CIVIL_CNIE, [_pair(1, 2, 30.0, {"given": "Rachid"}, given="Rachit")])
    assert clusters[1] == clusters[2]


def test_twins_with_their_names_in_each_others_field_never_merge() -> None:
    swapped = _pair(
        1, 2, 30.0, {"family": "Ait Abdallah", "given": "Hicham"}, family="Tariq", given="Ait Abdallah"
    )
    both = _pair(
        1,
        2,
        30.0,
        {"family": "Hicham", "given": "Ait Abdallah", "household": "9"},
        family="Tariq",
        given="Ait Abdallah",
        household="9",
    )
    assert _guarded(swapped) and _guarded(both)


def test_twins_guard_yields_to_an_equal_card() -> None:
    # Twins never share a card: one name was miswritten.
    pair = _pair(1, 2, 30.0, {"given": "محمد", "card": "BK123456"}, given="محمود", card="BK123456")
    assert not _guarded(pair)
    assert _cluster(CIVIL_CNIE, [pair])[1] == _cluster(CIVIL_CNIE, [pair])[2]


def test_twins_guard_does_not_yield_to_their_shared_household() -> None:
    pair = _pair(1, 2, 30.0, {"given": "محمد", "household": "77"}, given="محمود", household="77")
    assert _guarded(pair)


def test_two_records_of_one_registry_need_strong_evidence() -> None:
    recs = _records((1, "ramed"), (2, "ramed"))
    weak = _cluster(recs, [_pair(1, 2, 10.0, {"source": "ramed"}, source="ramed")])
    strong = _cluster(recs, [_pair(1, 2, 20.0, {"source": "ramed"}, source="ramed")])
    assert weak[1] != weak[2]
    assert strong[1] == strong[2]


def test_one_registry_twice_yields_to_an_equal_card() -> None:
    recs = _records((1, "cnss"), (2, "cnss"))
    pair = _pair(1, 2, 9.0, {"source": "cnss", "card": "BK1"}, source="cnss", card="BK1")
    assert _cluster(recs, [pair])[1] == _cluster(recs, [pair])[2]


def test_one_registry_twice_yields_to_one_household_one_date_and_close_names() -> None:
    recs = _records((1, "ramed"), (2, "ramed"))
    left = {"source": "ramed", "given": "Mohamed", "household": "42"}
    close = _pair(1, 2, 9.0, left, source="ramed", given="Mohamad", household="42")
    other = _pair(1, 2, 9.0, left, source="ramed", given="Youssef", household="42")
    assert _cluster(recs, [close])[1] == _cluster(recs, [close])[2]
    assert _cluster(recs, [other])[1] != _cluster(recs, [other])[2]


def test_same_registry_with_different_birth_dates_stays_apart() -> None:
    recs = _records((1, "civil"), (2, "civil"))
    pair = _pair(1, 2, 25.0, {"born": "2023-05-22"}, source="civil", born="2023-06-20")
    assert _cluster(recs, [pair])[1] != _cluster(recs, [pair])[2]


def test_a_chain_does_not_merge_what_a_contradiction_separates() -> None:
    # 1-2 strong, 2-3 strong, but 1 and 3 were scored as a clear non-match.
    recs = _records((1, "civil"), (2, "cnie"), (3, "cnss"))
    pairs = [
        _pair(1, 2, 25.0),
        _pair(2, 3, 12.0, {"source": "cnie"}, source="cnss"),
        _pair(1, 3, -8.0, source="cnss"),
    ]
    clusters = _cluster(recs, pairs)
    assert clusters[1] == clusters[2]
    assert clusters[3] != clusters[1]


def test_connected_components_would_have_merged_the_chain() -> None:
    recs = _records((1, "civil"), (2, "cnie"), (3, "cnss"))
    pairs = [_pair(1, 2, 25.0), _pair(2, 3, 12.0, {"source": "cnie"}, source="cnss")]
    clusters = _cluster(recs, pairs)
    assert clusters[1] == clusters[2] == clusters[3]


def test_two_birth_dates_no_slip_explains_never_link() -> None:
    assert _guarded(_pair(1, 2, 20.0, born="1980-06-15"))
    for slip in ("1980-03-05", "1981-03-04", "1980-04-03"):  # one part, a swap
        assert not _guarded(_pair(1, 2, 20.0, born=slip)), slip


def test_a_first_of_january_is_not_taken_for_another_birth_date() -> None:
    assert not _guarded(_pair(1, 2, 20.0, {"born": "1965-01-01"}, born="1965-04-12"))


def test_two_birth_dates_yield_to_an_equal_card() -> None:
    assert not _guarded(_pair(1, 2, 20.0, {"card": "BK9"}, born="1980-06-15", card="BK9"))


def test_a_card_one_keystroke_off_identifies_but_not_in_its_last_digit() -> None:
    twins = {"given": "محمد"}
    assert not _guarded(_pair(1, 2, 30.0, {**twins, "card": "BK123456"}, given="محمود", card="BK132456"))
    assert _guarded(_pair(1, 2, 30.0, {**twins, "card": "BK123456"}, given="محمود", card="BK123457"))


def test_names_in_each_others_field_are_the_same_person_when_they_agree() -> None:
    swapped = _pair(1, 2, 30.0, {"family": "Alaoui", "given": "Youssef"}, family="Youssef", given="Alaoui")
    assert not _guarded(swapped)


def test_reviewers_decisions_override_the_model() -> None:
    recs = _records((1, "civil"), (2, "cnie"), (3, "cnss"))
    pairs = [_pair(1, 2, 25.0), _pair(2, 3, 3.0, {"source": "cnie"}, source="cnss")]
    clusters = _cluster(recs, pairs, must=[(2, 3)], cannot=[(1, 2)])
    assert clusters[2] == clusters[3]
    assert clusters[1] != clusters[2]


def test_a_reviewers_must_link_overrides_every_guard() -> None:
    twins = _pair(1, 2, 30.0, {"given": "محمد"}, given="محمود", sex="F")
    assert _guarded(twins)
    clusters = _cluster(CIVIL_CNIE, [twins], must=[(1, 2)])
    assert clusters[1] == clusters[2]


def test_uncertain_pairs_go_to_review() -> None:
    result = cluster_pairs(
        CIVIL_CNIE,
        compact_pairs(pd.DataFrame([_pair(1, 2, 4.0)], columns=PAIR_COLUMNS)),
        T,
        must_link=[],
        cannot_link=[],
    )
    assert result.cluster_of[1] != result.cluster_of[2]
    assert result.review_pairs == [{"record_id_l": 1, "record_id_r": 2, "match_weight": 4.0}]


def _by_sql(wide: pd.DataFrame) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("wide", wide)
    return con.execute(COMPACT_PAIRS_SQL.format(table="wide") + " ORDER BY 1, 2").df()


def _agree(wide: pd.DataFrame) -> None:
    by_sql = _by_sql(wide)
    by_python = compact_pairs(wide).sort_values(["record_id_l", "record_id_r"]).reset_index(drop=True)
    for column in ("same_source", "dates_differ", "guarded", "identified"):
        assert by_sql[column].astype(bool).tolist() == by_python[column].astype(bool).tolist(), column


def test_the_sql_guards_agree_with_the_python_ones() -> None:
    pairs = [
        _pair(1, 2, 9.0),
        _pair(1, 3, 9.0, sex="F"),
        _pair(2, 3, 9.0, given="يوسف"),
        _pair(3, 4, 9.0, born=None),
        _pair(4, 5, 9.0, sex=None),
        _pair(5, 6, 9.0, {"source": "ramed"}, source="ramed", born="1981-01-01"),
        _pair(6, 7, 9.0, given=None),
        _pair(7, 8, 9.0, given="محمود"),
        _pair(8, 9, 9.0, {"given": "Rachid"}, given="Rachit"),
        _pair(9, 10, 9.0, {"card": "A1"}, given="محمود", card="A1"),
        _pair(10, 11, 9.0, {"household": "7"}, given="Mohamad", household="7"),
        _pair(11, 12, 9.0, {"guardian": "G1", "given": "Mohamed"}, given="Mohamad", guardian="G1"),
        _pair(12, 13, 9.0, {"family": "Hicham", "given": "Ait Ali"}, family="Tariq", given="Ait Ali"),
        _pair(13, 14, 9.0, {"given": "Abdelhak"}, given="عبد الإله"),
        _pair(14, 15, 9.0, born="1980-06-15"),
        _pair(15, 16, 9.0, {"born": "1965-01-01"}, born="1965-04-12"),
        _pair(16, 17, 9.0, {"card": "BK123456"}, given="محمود", card="BK123457"),
        _pair(17, 18, 9.0, {"family": "Alaoui", "given": "Youssef"}, family="Youssef", given="Alaoui"),
        _pair(
            18,
            19,
            9.0,
            {"family": "Sbah", "given": "Seddiki", "household": "3"},
            given="Esraa",
            family="Seddiki",
        ),
    ]
    _agree(pd.DataFrame(pairs, columns=PAIR_COLUMNS))


NAMES = ["محمد", "محمود", "Mohamed", "Mahmoud", "Rachid", "Rachit", "عبد الحق", "Abdelilah", "Hicham", None]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(NAMES),
            st.sampled_from(NAMES),
            st.sampled_from(["M", "F", None]),
            st.sampled_from(["1980-01-01", "1980-02-01", "1981-06-15", None]),
            st.sampled_from(["A1", "A2", "A12", "B1", None]),
            st.sampled_from(["7", None]),
            st.sampled_from(["civil", "ramed"]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_the_sql_guards_agree_with_the_python_ones_on_any_pair(rows: list[tuple[Any, ...]]) -> None:
    pairs = [
        _pair(
            i,
            i + 1000,
            9.0,
            {"given": gl, "card": "A1", "household": "7", "source": "ramed"},
            given=gr,
            sex=sex,
            born=born,
            card=card,
            household=household,
            source=source,
        )
        for i, (gl, gr, sex, born, card, household, source) in enumerate(rows)
    ]
    _agree(pd.DataFrame(pairs, columns=PAIR_COLUMNS))


ScoredGraph = tuple[pd.DataFrame, pd.DataFrame, list[tuple[int, int]], list[tuple[int, int]]]


@st.composite
def _scored_graphs(
    draw: Any,
) -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[int, int]], list[tuple[int, int]]]:
    """Records of two registries and compact pairs of any weight, guard and flags."""
    n = draw(st.integers(2, 24))
    ids = list(range(1, n + 1))
    records = pd.DataFrame(
        {"record_id": ids, "source": [draw(st.sampled_from(["civil", "cnie"])) for _ in ids]}
    )
    edges = draw(
        st.lists(
            st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda e: e[0] < e[1]), unique=True
        )
    )
    rows = [
        {
            "record_id_l": a,
            "record_id_r": b,
            "match_weight": draw(st.sampled_from([-8.0, -0.5, 2.0, 6.0, 9.0, 12.5, 20.0])),
            "same_source": records["source"][a - 1] == records["source"][b - 1],
            "dates_differ": draw(st.booleans()),
            "guarded": draw(st.booleans()),
            "identified": draw(st.booleans()),
        }
        for a, b in edges
    ]
    pairs = pd.DataFrame(rows, columns=COMPACT_COLUMNS).astype(
        {"record_id_l": "int64", "record_id_r": "int64"}
    )
    pick = st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda e: e[0] != e[1])
    return records, pairs, draw(st.lists(pick, max_size=2)), draw(st.lists(pick, max_size=2))


@settings(max_examples=300, deadline=None)
@given(_scored_graphs())
def test_refused_pairs_pruned_to_components_give_the_clusters_of_all_refused_pairs(
    graph: ScoredGraph,
) -> None:
    records, pairs, must_link, cannot_link = graph
    thresholds = Thresholds(link=8.0, review=4.0, same_source=11.0)
    results = []
    for prune in (True, False):
        clustering = ChainResistantClustering(thresholds, prune_blocked=prune)
        clustering.add_records(records)
        clustering.cluster(pairs, must_link, cannot_link)
        result = clustering.result(must_link)
        results.append((result.cluster_of, result.method_of, result.score_of, result.review_pairs))
    assert results[0] == results[1]


@settings(max_examples=300, deadline=None)
@given(_scored_graphs())
def test_reachable_pairs_are_those_of_one_connected_component(
    graph: ScoredGraph,
) -> None:
    _, pairs, must_link, _ = graph
    left = pairs["record_id_l"].to_numpy(dtype="int64")
    right = pairs["record_id_r"].to_numpy(dtype="int64")
    joinable = (pairs["match_weight"] >= 8.0).to_numpy()
    neighbours: dict[int, set[int]] = {}
    for a, b in [*zip(left[joinable].tolist(), right[joinable].tolist(), strict=True), *must_link]:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)

    def component(start: int) -> set[int]:
        seen, todo = {start}, [start]
        while todo:
            for nxt in neighbours.get(todo.pop(), set()) - seen:
                seen.add(nxt)
                todo.append(nxt)
        return seen

    expected = [
        a in neighbours and b in component(a) for a, b in zip(left.tolist(), right.tolist(), strict=True)
    ]
    assert reachable_pairs(left, right, joinable, must_link).tolist() == expected

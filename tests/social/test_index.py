"""The index: scores explained term by term, refitting, targeting errors, validated configuration."""

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sijill.db.engine import session_scope
from sijill.social import (
    InvalidConfiguration,
    decide_change,
    explain_household,
    explain_score,
    fit_index,
    load_index,
    load_program,
    load_programs,
    request_change,
    score_frame,
    score_households,
    store_model,
    targeting_errors,
)
from sijill.social.config import AreaModel, IndexSpec, Term
from tests.social.conftest import H, P, Register, amounts, household_ids, import_survey, run

Make = Callable[[Sequence[P]], Register]


def test_the_shipped_index_is_labelled_illustrative_and_not_official() -> None:
    spec = load_index()
    assert spec.status == "illustrative"
    assert "NOT OFFICIAL" in spec.note
    assert len(spec.urban.regions) == len(spec.rural.regions) == 12


_VARIABLES = {
    "dwelling_type": st.sampled_from(["precarious", "traditional", "villa", "rural_modern", ""]),
    "rooms": st.integers(0, 9).map(str),
    "electricity": st.sampled_from(["0", "1"]),
    "livestock": st.integers(0, 30).map(str),
    "spend_gas": st.integers(0, 400).map(str),
    "head_education": st.sampled_from(["none", "primary", "secondary", "higher"]),
}


@settings(max_examples=60, deadline=None)
@given(
    variables=st.fixed_dictionaries(_VARIABLES),
    size=st.integers(1, 14),
    urban=st.booleans(),
    region=st.integers(1, 12).map(lambda r: f"{r:02d}"),
)
def test_a_score_is_the_sum_of_its_explained_terms(
    variables: dict[str, str], size: int, urban: bool, region: str
) -> None:
    spec = load_index()
    row = {**variables, "size": size, "urban": urban, "region_code": region}
    explanation = explain_score(spec, row)
    total = (
        explanation.constant + explanation.region_constant + sum(t.contribution for t in explanation.terms)
    )
    assert explanation.score == pytest.approx(total)
    assert score_frame(spec, pd.DataFrame([row])).iloc[0] == pytest.approx(explanation.score)


def test_urban_and_rural_households_are_scored_by_their_own_model() -> None:
    urban = AreaModel(
        constant=9.0, regions={"04": 0.25}, terms=[Term(variable="rooms", transform="log", coefficient=0.5)]
    )
    rural = AreaModel(
        constant=8.0,
        regions={"04": -0.5},
        terms=[Term(variable="livestock", coefficient=0.1), Term(variable="tv", coefficient=0.3)],
    )
    spec = IndexSpec(
        version="two", status="illustrative", note="two areas", source="test", urban=urban, rural=rural
    )
    row = {"rooms": "4", "livestock": "3", "tv": "1", "region_code": "04"}
    town = explain_score(spec, {**row, "urban": True})
    village = explain_score(spec, {**row, "urban": False})
    assert (town.area, town.score) == ("urban", pytest.approx(9.0 + 0.25 + 0.5 * np.log(4)))
    assert (village.area, village.score) == ("rural", pytest.approx(8.0 - 0.5 + 0.1 * 3 + 0.3 * 1))
    assert [(t.term, t.contribution) for t in village.terms] == [
        ("livestock", pytest.approx(0.3)),
        ("tv", pytest.approx(0.3)),
    ]
    frame = pd.DataFrame([{**row, "urban": True}, {**row, "urban": False}])
    assert score_frame(spec, frame).tolist() == pytest.approx([town.score, village.score])


def _linear_spec(a: float, b: float, c: float) -> IndexSpec:
    terms = [
        Term(variable="size", transform="log", coefficient=a),
        Term(variable="tv", coefficient=b),
        Term(variable="water", transform="equals", equals="piped", coefficient=c),
    ]
    area = AreaModel(constant=9.0, regions={"01": 0.0, "02": 0.1}, terms=terms)
    return IndexSpec(
        version="truth", status="illustrative", note="known", source="test", urban=area, rural=area
    )


def test_fitting_recovers_the_coefficients_of_a_survey_made_by_a_known_model() -> None:
    rng = np.random.default_rng(4)
    n = 400
    survey = pd.DataFrame(
        {
            "size": rng.integers(1, 10, n),
            "tv": rng.integers(0, 2, n).astype(str),
            "water": rng.choice(["piped", "well_or_river"], n),
            "urban": rng.random(n) < 0.5,
            "region_code": rng.choice(["01", "02"], n),
        }
    )
    truth = _linear_spec(-0.3, 0.2, 0.15)
    survey["log_consumption"] = score_frame(truth, survey)
    fitted = fit_index(_linear_spec(0.0, 0.0, 0.0), survey, version="fitted", source="test")
    for area in (fitted.urban, fitted.rural):
        assert area.constant == pytest.approx(9.0, abs=1e-3)
        assert area.regions["02"] == pytest.approx(0.1, abs=1e-3)
        assert [t.coefficient for t in area.terms] == pytest.approx([-0.3, 0.2, 0.15], abs=1e-3)


def test_targeting_errors_are_those_counted_by_hand() -> None:
    truth = pd.Series([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10])  # the poorest 20%: 1 and 2
    scores = pd.Series([1.5, 9, 1, 4, 5, 6, 7, 8, 9, 10])  # selects 1 (poor) and 3 (not poor) below 2
    errors = targeting_errors(scores, truth)
    assert (errors.poor, errors.selected) == (2, 2)
    assert errors.exclusion_error == 0.5  # household 2 is missed
    assert errors.inclusion_error == 0.5  # household 3 is included
    with_line = targeting_errors(scores, truth, line=4.5)  # selects 1, 3 and 4
    assert (with_line.selected, with_line.exclusion_error, round(with_line.inclusion_error, 4)) == (
        3,
        0.5,
        0.6667,
    )


def test_scores_record_their_model_and_are_recomputed_when_the_household_changes(
    make_register: Make, tmp_path: Path
) -> None:
    register = make_register([P("h", "M", "1970-01-01"), P("s", "F", "1972-01-01")])
    import_survey(register, [H("x", [("h", "head")])], tmp_path / "h.csv")
    with session_scope(register.engine) as session:
        first = score_households(session=session)
        again = score_households(session=session)
    assert (first.scored, again.scored, again.current) == (1, 0, 1)
    household = household_ids(register)["x"]
    with session_scope(register.engine) as session:
        before = explain_household(session=session, household_id=household)
        request = request_change(
            session=session,
            household_id=household,
            kind="add_member",
            payload={"uin": register.uin("s"), "relationship": "spouse"},
            by="clerk",
        )
        decide_change(session=session, request_id=request.id, by="supervisor", approve=True)
        stale = explain_household(session=session, household_id=household)
        assert score_households(session=session).scored == 1
        after = explain_household(session=session, household_id=household)
    assert before["model_version"] == load_index().version and before["current"]
    assert not stale["current"]
    assert after["current"] and after["score"] != before["score"]
    size = next(t for t in after["terms"] if t["term"] == "log(size)")
    assert size["value"] == pytest.approx(np.log(2))


def test_a_model_version_cannot_be_stored_twice_with_other_coefficients(engine: object) -> None:
    from sqlalchemy import Engine

    assert isinstance(engine, Engine)
    with session_scope(engine) as session:
        store_model(session=session, spec=_linear_spec(0.1, 0.2, 0.3))
        store_model(session=session, spec=_linear_spec(0.1, 0.2, 0.3))
        with pytest.raises(InvalidConfiguration, match="already stored with other coefficients"):
            store_model(session=session, spec=_linear_spec(0.1, 0.2, 0.4))


def test_the_shipped_programs_validate_and_note_a_source_for_every_amount() -> None:
    programs = load_programs()
    assert set(programs) == {
        "amo_tadamon",
        "emergency_topup",
        "family_allowance",
        "school_attendance",
        "widows_allowance",
    }
    fa = programs["family_allowance"].program
    assert fa.eligibility.index_max is not None and fa.eligibility.index_max.value == 9.743001
    assert programs["amo_tadamon"].program.eligibility.index_max.value == 9.3264284  # type: ignore[union-attr]
    for loaded in programs.values():
        text = Path(loaded.path).read_text(encoding="utf-8")
        assert text.count("source = ") == text.count("value = ") + 1  # and the program's own


def _program_file(tmp_path: Path, replace: tuple[str, str]) -> Path:
    text = Path(load_programs()["family_allowance"].path).read_text(encoding="utf-8")
    assert replace[0] in text
    path = tmp_path / "family_allowance.toml"
    path.write_text(text.replace(*replace, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("max_counted = {", "max_kids = {"), r"children\.max_kids: Extra inputs are not permitted"),
        (
            ("value = 250,", "value = -250,"),
            r"benefits\.0\.rates\.0\.amount\.value: Input should be greater than or equal to 0",
        ),
        (('id = "family_allowance"', 'id = "family"'), "differs from the file name"),
        (("[children]", "[kids]"), "kids: Extra inputs are not permitted"),
        (('source = "ASD: at least', 'sourc = "ASD: at least'), r"limits\.minimum\.source: Field required"),
    ],
)
def test_a_program_file_that_does_not_validate_is_refused_with_its_path_and_key(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = _program_file(tmp_path, change)
    with pytest.raises(InvalidConfiguration, match=message) as caught:
        load_program(path)
    assert str(path) in str(caught.value)


def test_a_new_program_needs_no_code(make_register: Make, tmp_path: Path) -> None:
    folder = tmp_path / "programs"
    folder.mkdir()
    (folder / "elderly_allowance.toml").write_text(
        """
id = "elderly_allowance"
name = "An allowance for households with members over 60"
version = "2026-01"
status = "illustrative"
source = "a test program"
[eligibility]
index_max = { value = 9.5, source = "test" }
[recipient]
rule = "head"
prefer = [{ relationships = ["head"] }]
[[benefits]]
component = "flat"
per = "household"
amount = { value = 300, source = "test" }
""",
        encoding="utf-8",
    )
    register = make_register([P("poor", "M", "1950-01-01"), P("rich", "M", "1951-01-01")])
    import_survey(
        register,
        [H("poor", [("poor", "head")], pmt=9.4), H("rich", [("rich", "head")], pmt=9.6)],
        tmp_path / "h.csv",
    )
    run(register, "2026-01", programs=load_programs(folder))
    assert amounts(register, "elderly_allowance", "2026-01") == {"poor": 300}

"""The generator's statistics are those of the census and of each registry's design."""

import csv
from collections import Counter
from datetime import date
from pathlib import Path
from statistics import mean

import pytest

from sijill.geo import communes
from sijill.sources.formats import FORMATS
from sijill.synth import generate
from sijill.synth.config import SynthConfig
from sijill.synth.names import name_list
from sijill.synth.population import build_population
from sijill.synth.registries import SOURCE_COLUMNS

REF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def population() -> object:
    return build_population(30_000, 11, SynthConfig())


def _age(born: date) -> float:
    return (REF - born).days / 365.25


def test_name_lists_are_large_enough() -> None:
    assert len(name_list("given_male")) >= 150
    assert len(name_list("given_female")) >= 150
    assert len(name_list("family")) >= 300
    assert all(e.arabic and e.spellings for k in ("given_male", "family") for e in name_list(k))


def test_age_pyramid_has_about_a_quarter_under_15(population: object) -> None:
    persons = population.persons  # type: ignore[attr-defined]
    share = sum(_age(p.birth) < 15 for p in persons) / len(persons)
    assert 0.23 <= share <= 0.30


def test_household_sizes_follow_the_census(population: object) -> None:
    hhs = population.households  # type: ignore[attr-defined]
    urban = mean(len(h.members) for h in hhs if h.commune.urban and h.members)
    rural = mean(len(h.members) for h in hhs if not h.commune.urban and h.members)
    assert 3.5 <= urban <= 3.9
    assert 4.2 <= rural <= 4.6


def test_households_live_in_real_communes_weighted_by_population(population: object) -> None:
    hhs = population.households  # type: ignore[attr-defined]
    known = communes()
    assert all(h.commune.code in known for h in hhs)
    urban_share = sum(h.commune.urban for h in hhs) / len(hhs)
    assert 0.55 <= urban_share <= 0.70


def test_children_carry_the_fathers_family_name(population: object) -> None:
    for h in population.households[:2000]:  # type: ignore[attr-defined]
        head = h.members[0]
        if head.sex != "M":
            continue
        for child in (m for m in h.members if m.relationship in ("son", "daughter")):
            assert child.family is head.family
        for spouse in (m for m in h.members if m.relationship == "spouse"):
            assert spouse.family is not head.family or spouse.family.arabic == head.family.arabic


def test_twins_and_deaths_occur_at_a_few_percent(population: object) -> None:
    persons = population.persons  # type: ignore[attr-defined]
    twins = sum(p.twin for p in persons) / len(persons)
    dead = sum(p.death is not None for p in persons) / len(persons)
    assert 0.005 <= twins <= 0.04
    assert 0.015 <= dead <= 0.05


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    generate(out, persons=6000, seed=2)
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_extracts_have_exactly_the_contract_columns(written: Path) -> None:
    for name, columns in SOURCE_COLUMNS.items():
        with (written / f"{name}.csv").open(encoding="utf-8") as f:
            assert next(csv.reader(f)) == columns
        assert FORMATS[name].id_column in columns


def test_registry_coverage_matches_each_registry_design(written: Path) -> None:
    persons = {r["person_id"]: r for r in _rows(written / "persons.csv")}
    truth = _rows(written / "truth.csv")
    in_source: dict[str, set[str]] = {}
    for t in truth:
        in_source.setdefault(t["source"], set()).add(t["person_id"])
    ages = {pid: _age(date.fromisoformat(p["birth_date"])) for pid, p in persons.items()}
    assert 0.85 <= len(in_source["civil"]) / len(persons) <= 0.99
    assert all(ages[p] >= 16 for p in in_source["cnie"])
    assert all(5.9 <= ages[p] < 19 for p in in_source["massar"])
    assert all(19.9 <= ages[p] < 63 for p in in_source["cnss"])
    adults = [p for p, a in ages.items() if a >= 16]
    assert 0.7 <= len(in_source["cnie"] & set(adults)) / len(adults) <= 0.95


def test_noise_rates_are_within_tolerance(written: Path) -> None:
    civil = _rows(written / "civil.csv")
    latin = sum(bool(r["nom_fr"]) for r in civil) / len(civil)
    assert 0.3 <= latin <= 0.5  # 60% of acts have no Latin margin note
    cnie = _rows(written / "cnie.csv")
    assert all(r["nom_fr"] == r["nom_fr"].upper() for r in cnie)
    old = [r for r in cnie if r["date_naissance"] and int(r["date_naissance"][-4:]) < 1965]
    year_only = sum(len(r["date_naissance"]) == 4 for r in old) / max(len(old), 1)
    assert 0.03 <= year_only <= 0.15
    cnss = _rows(written / "cnss.csv")
    missing_card = sum(not r["cnie"] for r in cnss) / len(cnss)
    assert 0.05 <= missing_card <= 0.25


def test_same_person_twice_in_one_registry_happens(written: Path) -> None:
    truth = _rows(written / "truth.csv")
    per = Counter((t["source"], t["person_id"]) for t in truth)
    assert any(n > 1 for n in per.values())


def test_households_carry_the_social_variables(written: Path) -> None:
    rows = _rows(written / "households.csv")
    for column in (
        "dwelling_type",
        "water",
        "electricity",
        "sanitation",
        "tv",
        "fridge",
        "car",
        "livestock",
        "head_education",
        "head_occupation",
        "spend_gas",
        "spend_water_electricity",
        "spend_telephone",
        "members",
    ):
        assert column in rows[0]
    rural = mean(float(r["consumption_per_capita"]) for r in rows if r["area"] == "rural")
    urban = mean(float(r["consumption_per_capita"]) for r in rows if r["area"] == "urban")
    assert rural < urban


def test_the_same_seed_gives_the_same_files(tmp_path: Path) -> None:
    generate(tmp_path / "a", persons=300, seed=9)
    generate(tmp_path / "b", persons=300, seed=9)
    for name in ("civil.csv", "truth.csv", "households.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_each_registry_is_tunable_from_a_config(tmp_path: Path) -> None:
    from sijill.synth.config import config_from_dict

    noisy = config_from_dict(
        {
            "registries": {
                "cnss": {"noise": {"cnie_missing": 1.0}},
                "massar": {"coverage": {"rate": 0.0, "rural_rate": 0.0}},
            }
        }
    )
    generate(tmp_path, persons=2000, seed=4, config=noisy)
    assert all(not r["cnie"] for r in _rows(tmp_path / "cnss.csv"))
    assert _rows(tmp_path / "massar.csv") == []
    with pytest.raises(ValueError, match="unknown registry"):
        config_from_dict({"registries": {"dgsn": {}}})


def test_households_declare_each_members_document_and_the_heads_marital_status(written: Path) -> None:
    rows = _rows(written / "households.csv")
    truth = {(t["source"], t["source_id"]): t["person_id"] for t in _rows(written / "truth.csv")}
    for row in rows[:200]:
        members = [m.split(":")[0] for m in row["members"].split(";")]
        documents = row["member_ids"].split(";")
        assert len(documents) == len(members)
        for person, document in zip(members, documents, strict=True):
            if document:
                source, _, source_id = document.partition(":")
                assert source in ("cnie", "civil", "massar")
                assert truth[(source, source_id)] == person
    statuses = Counter(r["head_marital_status"] for r in rows)
    assert set(statuses) <= {"married", "widowed", "divorced", "single"}
    assert statuses["married"] > statuses["widowed"] > 0

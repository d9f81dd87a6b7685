"""A synthetic Moroccan population: households in real communes, with names and ages."""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from sijill.geo import Commune, communes
from sijill.synth.config import SynthConfig
from sijill.synth.names import NameEntry, name_list

URBAN_MEAN_SIZE = 3.7
RURAL_MEAN_SIZE = 4.4


@dataclass(slots=True)
class Person:
    """One synthetic person, the truth behind the registries' records."""

    person_id: int
    household_id: int
    relationship: str
    sex: str
    birth: date
    given: NameEntry
    family: NameEntry
    father_given: NameEntry | None
    birth_commune: str
    death: date | None = None
    twin: bool = False
    cnie: str = ""


@dataclass(slots=True)
class Household:
    """One household: its commune and its members, head first."""

    household_id: int
    commune: Commune
    members: list[Person] = field(default_factory=list)
    welfare: float = 0.0


class _NamePicker:
    """Draw names by frequency, fast, from one seeded random source."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lists = {k: name_list(k) for k in ("given_male", "given_female", "family")}
        self.cum = {k: list(accumulate(e.weight for e in v)) for k, v in self.lists.items()}

    def draw(self, kind: str) -> NameEntry:
        return self.rng.choices(self.lists[kind], cum_weights=self.cum[kind], k=1)[0]

    def given(self, sex: str) -> NameEntry:
        return self.draw("given_male" if sex == "M" else "given_female")


def _household_size(rng: random.Random, urban: bool) -> int:
    """Draw a household size with the census mean of its area (3.7 urban, 4.4 rural)."""
    mean = URBAN_MEAN_SIZE if urban else RURAL_MEAN_SIZE
    size = 1
    # A shifted Poisson by inversion keeps this fast without numpy per draw.
    lam, p, u = mean - 1.0, 2.718281828459045 ** -(mean - 1.0), rng.random()
    cumulative, k = p, 0
    while u > cumulative and k < 14:
        k += 1
        p *= lam / k
        cumulative += p
    return size + k


def _birth_date(rng: random.Random, today: date, age_years: float, spread_days: int = 365) -> date:
    return today - timedelta(days=int(age_years * 365.25) + rng.randrange(0, spread_days))


@dataclass
class PopulationBuilder:
    """Build households and persons until the wanted number of persons is reached."""

    persons_wanted: int
    seed: int
    config: SynthConfig
    households: list[Household] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.names = _NamePicker(self.rng)
        self.today = date.fromisoformat(self.config.reference_date)
        self.commune_list = list(communes().values())
        self.commune_cum = list(accumulate(c.population for c in self.commune_list))

    def build(self) -> "PopulationBuilder":
        """Draw households until the population is complete, then deaths and twins."""
        while len(self.persons) < self.persons_wanted:
            self._add_household()
        del self.persons[self.persons_wanted :]
        last = self.persons[-1].household_id
        self.households[last].members = [
            p for p in self.households[last].members if p.person_id < self.persons_wanted
        ]
        self._mark_deaths()
        return self

    def _new_person(
        self,
        hh: Household,
        relationship: str,
        sex: str,
        birth: date,
        family: NameEntry,
        father_given: NameEntry | None,
    ) -> Person:
        given = self.names.given(sex)
        cfg = self.config
        if relationship in ("son", "daughter"):
            stay = cfg.children_born_in_home_commune
        else:
            stay = (
                cfg.adults_born_in_home_commune_urban
                if hh.commune.urban
                else cfg.adults_born_in_home_commune_rural
            )
        birth_commune = (
            hh.commune.code
            if self.rng.random() < stay
            else self.rng.choices(self.commune_list, cum_weights=self.commune_cum, k=1)[0].code
        )
        person = Person(
            len(self.persons),
            hh.household_id,
            relationship,
            sex,
            birth,
            given,
            family,
            father_given,
            birth_commune,
        )
        self.persons.append(person)
        hh.members.append(person)
        return person

    def _add_household(self) -> None:
        rng = self.rng
        commune = rng.choices(self.commune_list, cum_weights=self.commune_cum, k=1)[0]
        hh = Household(len(self.households), commune)
        hh.welfare = rng.gauss(0.35 if commune.urban else -0.35, 0.7)
        self.households.append(hh)
        size = _household_size(rng, commune.urban)
        head_male = (size > 1 and rng.random() < 0.9) or (size == 1 and rng.random() < 0.6)
        head_age = min(22 + rng.gammavariate(3.4, 7.5), 92.0)
        head_sex = "M" if head_male else "F"
        head_family = self.names.draw("family")
        head = self._new_person(
            hh,
            "head",
            head_sex,
            _birth_date(rng, self.today, head_age),
            head_family,
            self.names.draw("given_male"),
        )
        slots = size - 1
        mother_age = head_age if head_sex == "F" else head_age - abs(rng.gauss(5, 3))
        if slots and head_male:
            self._new_person(
                hh,
                "spouse",
                "F",
                _birth_date(rng, self.today, mother_age),
                self.names.draw("family"),
                self.names.draw("given_male"),
            )
            slots -= 1
        if slots >= 3 and rng.random() < 0.12:
            self._new_person(
                hh,
                "parent",
                "F",
                _birth_date(rng, self.today, min(head_age + 26, 99.0)),
                self.names.draw("family"),
                self.names.draw("given_male"),
            )
            slots -= 1
        self._add_children(hh, head, slots, mother_age)

    def _add_children(self, hh: Household, head: Person, count: int, mother_age: float) -> None:
        rng = self.rng
        father_given = head.given if head.sex == "M" else self.names.draw("given_male")
        family = head.family if head.sex == "M" else self.names.draw("family")
        age = min(mother_age - 19 - rng.random() * 8, 30.0)
        previous: Person | None = None
        named_after_grandfather = False
        for _ in range(count):
            if age < 0:
                age = rng.random() * 2
            twin = previous is not None and rng.random() < self.config.twin_rate * 2
            sex = "M" if rng.random() < 0.51 else "F"
            if twin and previous is not None:
                birth = previous.birth
            else:
                birth = _birth_date(rng, self.today, age, spread_days=90)
                age -= 1.5 + rng.random() * 3
            child = self._new_person(
                hh, "son" if sex == "M" else "daughter", sex, birth, family, father_given
            )
            if twin and previous is not None:
                child.twin = previous.twin = True
                while child.given.arabic == previous.given.arabic:
                    child.given = self.names.given(sex)
            elif (
                sex == "M"
                and head.father_given
                and not named_after_grandfather
                and rng.random() < self.config.grandfather_name_rate
            ):
                child.given = head.father_given
                named_after_grandfather = True
            previous = child

    def _mark_deaths(self) -> None:
        """Mark a few percent deceased, older people more often."""
        rng, rate = self.rng, self.config.deceased_rate
        for p in self.persons:
            age = (self.today - p.birth).days / 365.25
            if rng.random() < rate * (0.3 + 3.6 * max(age - 30, 0) / 50):
                p.death = self.today - timedelta(days=rng.randrange(30, 3650))
                if p.death <= p.birth:
                    p.death = p.birth + timedelta(days=rng.randrange(1, 400))


def build_population(persons: int, seed: int, config: SynthConfig) -> PopulationBuilder:
    """Return households and persons for a population of this size."""
    return PopulationBuilder(persons, seed, config).build()

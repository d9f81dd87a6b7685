"""Turn the synthetic population into the five registry extracts, with their noise."""

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from sijill.geo import communes
from sijill.synth.config import RegistryConfig, SynthConfig
from sijill.synth.noise import (
    is_stale_office,
    mistype_card,
    older_commune_code,
    partial_latin,
    spelling,
    typo,
    written_date,
)
from sijill.synth.population import Household, Person, PopulationBuilder

SOURCE_COLUMNS: dict[str, list[str]] = {
    "civil": [
        "acte_id",
        "nom_ar",
        "prenom_ar",
        "nom_fr",
        "prenom_fr",
        "sexe",
        "date_naissance",
        "commune_naissance",
        "prenom_pere_ar",
        "date_deces",
    ],
    "cnie": [
        "cnie",
        "nom_ar",
        "prenom_ar",
        "nom_fr",
        "prenom_fr",
        "sexe",
        "date_naissance",
        "lieu_naissance",
        "adresse",
    ],
    "massar": [
        "code_massar",
        "nom_fr",
        "prenom_fr",
        "nom_ar",
        "prenom_ar",
        "sexe",
        "date_naissance",
        "lieu_naissance",
        "cnie_tuteur",
        "assiduite",
    ],
    "cnss": [
        "num_immatriculation",
        "cnie",
        "nom",
        "prenom",
        "date_naissance",
        "sexe",
        "salaire_mensuel",
    ],
    "ramed": [
        "num_ramed",
        "cnie",
        "nom",
        "prenom",
        "date_naissance",
        "sexe",
        "commune",
        "num_foyer",
    ],
}
CNIE_PREFIXES = (
    "A",
    "AB",
    "B",
    "BE",
    "BH",
    "BJ",
    "BK",
    "BL",
    "C",
    "CB",
    "CD",
    "D",
    "DA",
    "E",
    "EE",
    "F",
    "FA",
    "G",
    "GM",
    "H",
    "HA",
    "I",
    "IA",
    "J",
    "JA",
    "JB",
    "JC",
    "JE",
    "K",
    "L",
    "LA",
    "M",
    "N",
    "P",
    "PA",
    "Q",
    "R",
    "S",
    "T",
    "U",
    "UA",
    "V",
    "W",
    "X",
    "Y",
    "Z",
    "ZG",
)
STREETS = ("Rue", "Avenue", "Bd", "Derb", "Hay", "Lotissement", "Douar", "Quartier")


@dataclass
class Record:
    """One row of one extract, with the person behind it."""

    source: str
    source_id: str
    person_id: int
    row: dict[str, str]


@dataclass
class IdIssuer:
    """Issue unique random identifiers of each registry's shape."""

    rng: random.Random
    seen: set[str] = field(default_factory=set)

    def _unique(self, make: Callable[[], str]) -> str:
        while True:
            value: str = make()
            if value not in self.seen:
                self.seen.add(value)
                return value

    def cnie(self) -> str:
        r = self.rng
        return self._unique(lambda: f"{r.choice(CNIE_PREFIXES)}{r.randrange(10**5, 10**6)}")

    def massar(self) -> str:
        r = self.rng
        return self._unique(lambda: f"{r.choice('DGJKMNPRS')}{r.randrange(10**9):09d}")

    def cnss(self) -> str:
        return self._unique(lambda: f"{self.rng.randrange(10**8, 10**9)}")

    def ramed(self) -> str:
        return self._unique(lambda: f"{self.rng.randrange(10**9, 10**10)}")


class ExtractWriter:
    """Produce the rows of every registry from a population."""

    def __init__(self, pop: PopulationBuilder, config: SynthConfig, seed: int) -> None:
        self.pop, self.config = pop, config
        self.rng = random.Random(seed + 7919)
        self.ids = IdIssuer(random.Random(seed + 104729))
        self.today = date.fromisoformat(config.reference_date)
        self.acts: dict[tuple[str, int], int] = {}
        self._issue_cards()

    def _age(self, p: Person) -> float:
        return (self.today - p.birth).days / 365.25

    def _issue_cards(self) -> None:
        """Give a CNIE number to most people of 16 and over."""
        cfg = self.config.registries["cnie"].coverage
        communes_by_code = communes()
        for p in self.pop.persons:
            rural = not communes_by_code[self.pop.households[p.household_id].commune.code].urban
            rate = cfg.rural_rate if rural and cfg.rural_rate is not None else cfg.rate
            if self._age(p) >= 16 and self.rng.random() < rate:
                p.cnie = self.ids.cnie()

    def _covered(self, p: Person, cfg: RegistryConfig) -> bool:
        if p.death is not None and self.rng.random() >= cfg.coverage.deceased_kept:
            return False
        rural = not self.pop.households[p.household_id].commune.urban
        rate = cfg.coverage.rate
        if rural and cfg.coverage.rural_rate is not None:
            rate = cfg.coverage.rural_rate
        return self.rng.random() < rate

    def _names(self, p: Person, cfg: RegistryConfig) -> dict[str, str]:
        """Return the names as this registry's clerk writes them, in both scripts."""
        n, rng = cfg.noise, self.rng
        fam_fr = spelling(rng, p.family.spellings, n.first_spelling)
        giv_fr = spelling(rng, p.given.spellings, n.first_spelling)
        fam_ar, giv_ar = p.family.arabic, p.given.arabic
        if rng.random() < n.typo:
            if rng.random() < 0.5:
                fam_fr, fam_ar = (
                    typo(rng, fam_fr),
                    typo(rng, fam_ar) if rng.random() < 0.3 else fam_ar,
                )
            else:
                giv_fr, giv_ar = (
                    typo(rng, giv_fr),
                    typo(rng, giv_ar) if rng.random() < 0.3 else giv_ar,
                )
        if rng.random() < n.upper_case:
            fam_fr, giv_fr = fam_fr.upper(), giv_fr.upper()
        if rng.random() < n.swapped_names:
            fam_fr, giv_fr, fam_ar, giv_ar = giv_fr, fam_fr, giv_ar, fam_ar
        if rng.random() < n.latin_missing:
            fam_fr = giv_fr = ""
        elif rng.random() < n.arabic_missing:
            fam_ar = giv_ar = ""
        elif n.latin_partial and rng.random() < n.latin_partial:
            fam_fr, giv_fr = partial_latin(rng, fam_fr, giv_fr)
        return {"nom_ar": fam_ar, "prenom_ar": giv_ar, "nom_fr": fam_fr, "prenom_fr": giv_fr}

    def _dob(self, p: Person, cfg: RegistryConfig, fmt: str) -> str:
        old = p.birth.year < self.config.year_only_before
        year_only = old and self.rng.random() < cfg.noise.year_only_old
        return written_date(
            self.rng, p.birth, fmt=fmt, year_only=year_only, day_month_swap=cfg.noise.day_month_swap
        )

    def _card_as_declared(self, card: str, cfg: RegistryConfig) -> str:
        if not card or self.rng.random() < cfg.noise.cnie_missing:
            return ""
        if self.rng.random() < cfg.noise.cnie_mistyped:
            return mistype_card(self.rng, card)
        return card

    def _with_noise(
        self, source: str, sid: str, p: Person, row: dict[str, str], cfg: RegistryConfig
    ) -> Iterator[Record]:
        """Yield the record, sometimes made unreadable, sometimes entered twice."""
        if self.rng.random() < cfg.noise.unreadable:
            for col in row:
                if col.startswith(("nom", "prenom", "date_naissance")):
                    row[col] = ""
        yield Record(source, sid, p.person_id, row)

    def civil(self) -> Iterator[Record]:
        cfg = self.config.registries["civil"]
        for p in self.pop.persons:
            if not self._covered(p, cfg):
                continue
            late = 0 if self.rng.random() < 0.9 else self.rng.randrange(1, 5)
            year = min(p.birth.year + late, self.today.year)
            office = p.birth_commune
            if is_stale_office(office, cfg.noise.stale_commune):
                office = older_commune_code(office)
            for copy in range(self._civil_copies(cfg)):
                if copy and cfg.noise.late_duplicate and self.rng.random() < cfg.noise.late_duplicate:
                    year = min(year + self.rng.randrange(1, 15), self.today.year)  # declared again, late
                key = (office, year)
                self.acts[key] = self.acts.get(key, 0) + self.rng.randrange(1, 4)
                sid = f"{office}/{year}/{self.acts[key]:05d}"
                death = p.death.isoformat() if p.death and self.rng.random() < 0.85 else ""
                row = {
                    "acte_id": sid,
                    **self._names(p, cfg),
                    "sexe": p.sex,
                    "date_naissance": self._dob(p, cfg, "iso"),
                    "commune_naissance": office,
                    "prenom_pere_ar": p.father_given.arabic
                    if p.father_given and self.rng.random() < 0.9
                    else "",
                    "date_deces": death,
                }
                yield from self._with_noise("civil", sid, p, row, cfg)

    def _civil_copies(self, cfg: RegistryConfig) -> int:
        return 2 if self.rng.random() < cfg.noise.duplicate else 1

    def cnie(self) -> Iterator[Record]:
        cfg = self.config.registries["cnie"]
        all_communes = communes()
        for p in self.pop.persons:
            if not p.cnie or (p.death is not None and self.rng.random() >= cfg.coverage.deceased_kept):
                continue
            home = self.pop.households[p.household_id].commune
            birthplace = all_communes.get(p.birth_commune)
            for dup in range(2 if self.rng.random() < cfg.noise.duplicate else 1):
                sid = p.cnie if dup == 0 else self.ids.cnie()
                row = {
                    "cnie": sid,
                    **self._names(p, cfg),
                    "sexe": p.sex,
                    "date_naissance": self._dob(p, cfg, "dmy"),
                    "lieu_naissance": (birthplace.name_fr if birthplace else "").upper(),
                    "adresse": f"{self.rng.randrange(1, 300)} {self.rng.choice(STREETS)} "
                    f"{self.rng.randrange(1, 60)} {home.name_fr}".upper(),
                }
                yield from self._with_noise("cnie", sid, p, row, cfg)

    def massar(self) -> Iterator[Record]:
        cfg = self.config.registries["massar"]
        all_communes = communes()
        for hh in self.pop.households:
            guardian = hh.members[0].cnie if hh.members else ""
            for p in hh.members:
                if not 6 <= self._age(p) < 18.5 or not self._covered(p, cfg):
                    continue
                for _ in range(2 if self.rng.random() < cfg.noise.duplicate else 1):
                    sid = self.ids.massar()
                    birthplace = all_communes.get(p.birth_commune)
                    row = {
                        "code_massar": sid,
                        **self._names(p, cfg),
                        "sexe": p.sex,
                        "date_naissance": self._dob(p, cfg, "iso"),
                        "lieu_naissance": birthplace.name_fr if birthplace else "",
                        "cnie_tuteur": guardian if self.rng.random() < 0.6 else "",
                        "assiduite": self._attendance(hh.welfare),
                    }
                    yield from self._with_noise("massar", sid, p, row, cfg)

    def _attendance(self, welfare: float) -> str:
        """Return the share of school days attended, lower in poorer households."""
        return f"{min(1.0, max(0.0, self.rng.gauss(0.9 + welfare / 20, 0.08))):.2f}"

    def _latin_only(self, names: dict[str, str], p: Person) -> tuple[str, str]:
        fam, giv = names["nom_fr"], names["prenom_fr"]
        return fam or p.family.spellings[0].upper(), giv or p.given.spellings[0].upper()

    def _formal_worker(self, p: Person) -> bool:
        age = self._age(p)
        if not 20 <= age < 63:
            return False
        c = self.config
        if not self.pop.households[p.household_id].commune.urban:
            rate = c.formal_work_rural
        else:
            rate = c.formal_work_urban_male if p.sex == "M" else c.formal_work_urban_female
        welfare = self.pop.households[p.household_id].welfare
        return self.rng.random() < rate * (1.4 if welfare > 0.3 else 0.7)

    def cnss(self) -> Iterator[Record]:
        cfg = self.config.registries["cnss"]
        for p in self.pop.persons:
            if not self._formal_worker(p) or not self._covered(p, cfg):
                continue
            for _ in range(2 if self.rng.random() < cfg.noise.duplicate else 1):
                sid = self.ids.cnss()
                fam, giv = self._latin_only(self._names(p, cfg), p)
                wage = int(3200 * 2.718281828 ** self.rng.gauss(0.3, 0.6))
                row = {
                    "num_immatriculation": sid,
                    "cnie": self._card_as_declared(p.cnie, cfg),
                    "nom": fam,
                    "prenom": giv,
                    "date_naissance": self._dob(p, cfg, "dmy"),
                    "sexe": p.sex,
                    "salaire_mensuel": str(wage),
                }
                yield from self._with_noise("cnss", sid, p, row, cfg)

    def ramed(self, poor: list[Household]) -> Iterator[Record]:
        cfg = self.config.registries["ramed"]
        for hh in poor:
            foyer = self.ids.ramed()
            for p in hh.members:
                if not self._covered(p, cfg):
                    continue
                copies = 1 + (self.rng.random() < cfg.noise.duplicate)
                copies += self.rng.random() < self.config.two_ramed_households
                for copy in range(copies):
                    sid = self.ids.ramed()
                    fam, giv = self._latin_only(self._names(p, cfg), p)
                    row = {
                        "num_ramed": sid,
                        "cnie": self._card_as_declared(p.cnie, cfg),
                        "nom": fam,
                        "prenom": giv,
                        "date_naissance": self._dob(p, cfg, "dmy"),
                        "sexe": p.sex,
                        "commune": hh.commune.code,
                        "num_foyer": foyer if copy == 0 else self.ids.ramed(),
                    }
                    yield from self._with_noise("ramed", sid, p, row, cfg)

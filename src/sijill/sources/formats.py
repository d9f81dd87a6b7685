"""The five extract formats of the sources contract: id column and meaning of each column."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ExtractFormat:
    """How one registry's extract is read."""

    source: str
    id_column: str
    family_columns: tuple[str, ...]
    given_columns: tuple[str, ...]
    birth_place_column: str | None = None
    commune_column: str | None = None
    card_column: str | None = None
    guardian_column: str | None = None
    household_column: str | None = None
    father_column: str | None = None
    death_column: str | None = None
    id_is_card: bool = False
    free_text_columns: tuple[str, ...] = ()

    @property
    def expected_columns(self) -> tuple[str, ...]:
        """The columns of the contract this format reads, the id first."""
        named = (
            *self.family_columns,
            *self.given_columns,
            self.birth_place_column,
            self.commune_column,
            self.card_column,
            self.guardian_column,
            self.household_column,
            self.father_column,
            self.death_column,
        )
        rest = [c for c in named if c and c != self.id_column]
        return (self.id_column, *dict.fromkeys([*rest, "sexe", "date_naissance"]))


FORMATS: dict[str, ExtractFormat] = {
    "civil": ExtractFormat(
        "civil",
        "acte_id",
        ("nom_ar", "nom_fr"),
        ("prenom_ar", "prenom_fr"),
        birth_place_column="commune_naissance",
        father_column="prenom_pere_ar",
        death_column="date_deces",
    ),
    "cnie": ExtractFormat(
        "cnie",
        "cnie",
        ("nom_ar", "nom_fr"),
        ("prenom_ar", "prenom_fr"),
        birth_place_column="lieu_naissance",
        id_is_card=True,
        free_text_columns=("lieu_naissance", "adresse"),
    ),
    "massar": ExtractFormat(
        "massar",
        "code_massar",
        ("nom_ar", "nom_fr"),
        ("prenom_ar", "prenom_fr"),
        birth_place_column="lieu_naissance",
        guardian_column="cnie_tuteur",
        free_text_columns=("lieu_naissance",),
    ),
    "cnss": ExtractFormat("cnss", "num_immatriculation", ("nom",), ("prenom",), card_column="cnie"),
    "ramed": ExtractFormat(
        "ramed",
        "num_ramed",
        ("nom",),
        ("prenom",),
        card_column="cnie",
        commune_column="commune",
        household_column="num_foyer",
    ),
}
# Enrolments at a desk or on a field device: a sixth source, never an extract file (it is not
# in `FORMATS`, so no sources directory holds it); its id is the enrolment's number.
ENROLMENT_FORMAT = ExtractFormat(
    "enrol",
    "enrolment",
    ("nom_ar", "nom_fr"),
    ("prenom_ar", "prenom_fr"),
    birth_place_column="lieu_naissance",
    commune_column="commune",
    card_column="cnie",
    father_column="prenom_pere_ar",
)
# Every source a record can come from: the five registries' extracts, and enrolments.
RECORD_FORMATS: dict[str, ExtractFormat] = {**FORMATS, ENROLMENT_FORMAT.source: ENROLMENT_FORMAT}
SOURCE_ID_SHAPES = {
    "civil": r"^\d{2}\.\d{3}\.\d{2}\.\d{1,2}/\d{4}/\d{1,6}$",
    "cnie": r"^[A-Z]{1,2}\d{1,7}$",
    "massar": r"^[A-Z]\d{9}$",
    "cnss": r"^\d{9}$",
    "ramed": r"^\d{6,12}$",
    "enrol": r"^ENR[0-9A-F]{16}$",
}

"""Request and response bodies of `/v1`, named by role; every field validated with a precise reason."""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from sijill.identity import SOURCES, VID_DIGITS, vid_problem
from sijill.uin import uin_problem


def no_nul(value: str) -> str:
    """Refuse the NUL character, which no text column can hold."""
    if "\x00" in value:
        raise ValueError("the NUL character is not allowed")
    return value


Text = Annotated[str, AfterValidator(no_nul)]
Sex = Literal["M", "F"]
Source = Literal["civil", "cnie", "massar", "cnss", "ramed"]
assert set(SOURCES) == set(Source.__args__)  # type: ignore[attr-defined]

_NAME = Field(default=None, min_length=1, max_length=128, description="In Arabic or Latin script")
_FIRST_YEAR = 1880


class Strict(BaseModel):
    """A body that refuses unknown fields (a misspelt claim must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def check_number(value: str, *, vid_allowed: bool) -> str:
    """Return a well-formed UIN (or VID when allowed); raise ValueError saying what is wrong."""
    if not value.isdigit():
        raise ValueError("only digits")
    if len(value) == VID_DIGITS:
        if not vid_allowed:
            raise ValueError("a VID cannot be used here: give the UIN")
        problem = vid_problem(value)
    else:
        problem = uin_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def check_birth_date(value: str) -> str:
    """Return a date of birth written YYYY-MM-DD or YYYY that exists and is not in the future."""
    if len(value) == 4 and value.isdigit():
        year = int(value)
    else:
        try:
            year = date.fromisoformat(value).year
        except ValueError:
            raise ValueError("write the date of birth as YYYY-MM-DD (a real date) or YYYY") from None
        if len(value) != 10:
            raise ValueError("write the date of birth as YYYY-MM-DD or YYYY")
    if not _FIRST_YEAR <= year <= date.today().year or value > date.today().isoformat():
        raise ValueError(f"the date of birth must lie between {_FIRST_YEAR} and today")
    return value


class VerifyCreate(Strict):
    """Claims about a person to check: yes or no."""

    uin: str = Field(description="A UIN (10 digits) or a VID (16 digits)", min_length=10, max_length=16)
    family_name: Text | None = _NAME
    given_name: Text | None = _NAME
    date_of_birth: str | None = Field(default=None, description="YYYY-MM-DD or YYYY", max_length=10)
    sex: Sex | None = None

    @field_validator("uin")
    @classmethod
    def _number(cls, value: str) -> str:
        return check_number(value, vid_allowed=True)

    @field_validator("date_of_birth")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        return None if value is None else check_birth_date(value)


class VerifyRead(BaseModel):
    """The answer of verify, and nothing else."""

    match: bool


class ResolveCreate(Strict):
    """An agency's own id of a person in one registry."""

    source: Source
    source_id: Text = Field(min_length=1, max_length=64)


class ResolveRead(BaseModel):
    """The UIN or the agency's sector token of the person behind a source id."""

    model_config = ConfigDict(extra="forbid")

    uin: str | None = None
    token: str | None = None


class TokenCreate(Strict):
    """The UIN to pseudonymise."""

    uin: str = Field(min_length=10, max_length=16, description="A UIN (10 digits); a VID is refused")

    @field_validator("uin")
    @classmethod
    def _number(cls, value: str) -> str:
        return check_number(value, vid_allowed=False)


class TokenRead(BaseModel):
    """A sector token: stable within the sector, unlinkable across sectors."""

    sector: str
    token: str


class PersonRead(BaseModel):
    """The eKYC fields the agency's policy allows; `deceased` is always said."""

    uin: str | None = None
    family_name_ar: str | None = None
    given_name_ar: str | None = None
    family_name_lat: str | None = None
    given_name_lat: str | None = None
    sex: str | None = None
    birth_date: str | None = None
    death_date: str | None = None
    deceased: bool


class ErrorRead(BaseModel):
    """Why a call was refused: a message, or for invalid input where and why each value is wrong."""

    detail: str | list[dict[str, Any]]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorRead, "description": "No valid credential"},
    403: {"model": ErrorRead, "description": "Outside the agency's policy"},
    422: {"model": ErrorRead, "description": "Invalid input: where and why"},
    429: {"model": ErrorRead, "description": "Too many calls for this agency"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorRead, "description": "No such person"}}

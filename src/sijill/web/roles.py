"""The desk's roles and what each may do, read from `roles.json` (configuration as data)."""

import json
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, model_validator


class RoleBook(BaseModel):
    """The permissions the desk knows and the permissions of each role."""

    version: int
    permissions: dict[str, str]
    roles: dict[str, list[str]]

    @model_validator(mode="after")
    def _known_permissions(self) -> "RoleBook":
        for role, granted in self.roles.items():
            unknown = sorted(set(granted) - set(self.permissions))
            if unknown:
                raise ValueError(f"roles.json: role {role!r} grants unknown permissions {unknown}")
        return self

    def allows(self, role: str, permission: str) -> bool:
        """Return True when this role holds this permission."""
        return permission in self.roles.get(role, ())


@lru_cache(maxsize=1)
def role_book() -> RoleBook:
    """Return the roles shipped with sijill."""
    text = resources.files("sijill.web").joinpath("roles.json").read_text(encoding="utf-8")
    return RoleBook.model_validate(json.loads(text))


ROLES: tuple[str, ...] = tuple(role_book().roles)

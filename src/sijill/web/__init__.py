"""The review desk and dashboards in the browser: the facade the CLI and the API call.

Names load on first use, so that importing the desk's tables (`sijill.web.models`) does not
load FastAPI or Jinja2.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sijill.web.app import create_desk_app, mount_web
    from sijill.web.models import DeskSession, DeskSetting, DeskUser, NameKey, ReviewLease, ReviewSkip
    from sijill.web.roles import ROLES
    from sijill.web.search import refresh_name_index
    from sijill.web.settings import get_census_share, set_census_share
    from sijill.web.users import create_user, list_users, set_password

_WHERE = {
    "create_desk_app": "app",
    "mount_web": "app",
    "DeskSession": "models",
    "DeskSetting": "models",
    "DeskUser": "models",
    "NameKey": "models",
    "ReviewLease": "models",
    "ReviewSkip": "models",
    "ROLES": "roles",
    "refresh_name_index": "search",
    "get_census_share": "settings",
    "set_census_share": "settings",
    "create_user": "users",
    "list_users": "users",
    "set_password": "users",
}
__all__ = [
    "ROLES",
    "DeskSession",
    "DeskSetting",
    "DeskUser",
    "NameKey",
    "ReviewLease",
    "ReviewSkip",
    "create_desk_app",
    "create_user",
    "get_census_share",
    "list_users",
    "mount_web",
    "refresh_name_index",
    "set_census_share",
    "set_password",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'sijill.web' has no attribute {name!r}")
    return getattr(import_module(f"sijill.web.{module}"), name)

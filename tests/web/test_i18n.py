"""The two catalogues say the same things, and every message the templates ask for exists."""

import json
import re
from importlib import resources

from sijill.web.i18n import Translator, catalogue
from sijill.web.roles import ROLES, role_book

TEMPLATES = resources.files("sijill.web") / "templates"


def test_french_and_arabic_hold_the_same_messages() -> None:
    assert set(catalogue("fr")) == set(catalogue("ar"))


def test_every_fixed_message_of_the_templates_is_in_the_catalogues() -> None:
    used: set[str] = set()
    for template in TEMPLATES.iterdir():
        used |= set(re.findall(r"t\('([a-z_]+\.[a-z_]+)'\)", template.read_text(encoding="utf-8")))
    assert used and used <= set(catalogue("fr"))


def test_every_role_has_a_name_in_both_languages() -> None:
    for role in ROLES:
        assert f"role.{role}" in catalogue("fr") and f"role.{role}" in catalogue("ar")


def test_numbers_and_shares_are_written_as_each_language_writes_them() -> None:
    fr, ar = Translator("fr"), Translator("ar")
    assert fr.number(12345.6, 1) == "12\u202f345,6"
    assert ar.number(12345.6, 1) == "12,345.6"
    assert fr.percent(0.5) == "50,0\u00a0%"
    assert fr.signed(-2.25) == "−2,2" or fr.signed(-2.25) == "−2,3"
    assert Translator("xx").language == "fr" and Translator("ar").direction == "rtl"


def test_the_role_book_grants_only_known_permissions() -> None:
    book = role_book()
    assert book.allows("reviewer", "review") and not book.allows("reviewer", "programs")
    raw = json.loads((resources.files("sijill.web") / "roles.json").read_text(encoding="utf-8"))
    assert set(raw["roles"]) == set(ROLES)


def test_every_comparison_and_level_of_the_linkage_spec_is_said_in_both_languages() -> None:
    from sijill.linkage.spec import COMPARISONS

    wanted = {"level.All other comparisons", "level.null (a value is missing)"}
    for comparison in COMPARISONS:
        wanted.add(f"comparison.{comparison.name}")
        wanted |= {f"level.{level.label}" for level in comparison.levels if not level.null}
    for language in ("fr", "ar"):
        missing = sorted(wanted - set(catalogue(language)))
        assert not missing, (language, missing)


def test_every_action_of_the_registers_history_is_said_in_both_languages() -> None:
    from sijill.outbox.models import EVENT_ADDRESS, EVENT_BIRTH, EVENT_DEATH
    from sijill.register.operators import ACTION_MERGE, ACTION_SPLIT, ACTION_UNDO

    actions = {"created", "merged", "moved", "split", "superseded", "decided", "corrected"}
    actions |= {"review_linked", "review_kept_apart", EVENT_BIRTH, EVENT_DEATH, EVENT_ADDRESS}
    actions |= {f"operator_{kind}" for kind in (ACTION_MERGE, ACTION_SPLIT, ACTION_UNDO)}
    for language in ("fr", "ar"):
        assert not sorted(f"action.{a}" for a in actions if f"action.{a}" not in catalogue(language))

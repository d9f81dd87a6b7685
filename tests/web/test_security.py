"""The desk's templates: every form posts the session's (or the sign-in's) CSRF token."""

import re
from importlib import resources

_FORM = re.compile(r"<form\b[^>]*>(.*?)</form>", re.DOTALL | re.IGNORECASE)


def _templates() -> dict[str, str]:
    folder = resources.files("sijill.web") / "templates"
    return {f.name: f.read_text(encoding="utf-8") for f in folder.iterdir() if f.name.endswith(".html")}


def test_every_form_of_every_template_carries_the_csrf_token() -> None:
    forms = [(name, body) for name, text in _templates().items() for body in _FORM.findall(text)]
    assert len(forms) >= 6
    for name, body in forms:
        assert re.search(r'<input type="hidden" name="csrf" value="\{\{ (viewer\.)?csrf \}\}">', body), name


def test_no_template_loads_anything_from_another_site() -> None:
    for name, text in _templates().items():
        assert not re.search(r'(src|href|action)="(https?:)?//', text), name

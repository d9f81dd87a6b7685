import pytest

from sijill.names import loose_key, transliterate


@pytest.mark.parametrize(
    ("arabic", "latin"),
    [
        ("الرحماني", "errahmani"),
        ("الشرقاوي", "echcharkaoui"),
        ("الفاسي", "elfassi"),
        ("خالد", "khaled"),
        ("غزلان", "ghazlan"),
        ("يوسف", "yousef"),
        ("ياسين", "yassin"),
    ],
)
def test_transliteration_follows_french_conventions(arabic: str, latin: str) -> None:
    assert transliterate(arabic) == latin


@pytest.mark.parametrize("letter,latin", [("ش", "ch"), ("خ", "kh"), ("غ", "gh"), ("ج", "j"), ("و", "ou")])
def test_letters_map_to_their_digraphs(letter: str, latin: str) -> None:
    assert latin in transliterate("ب" + letter + "ر")


def test_sun_letters_assimilate_the_article() -> None:
    assert transliterate("التازي").startswith("ett")
    assert transliterate("السعدي").startswith("ess")
    assert transliterate("القادري").startswith("el")


def test_transliteration_keys_like_the_arabic() -> None:
    for name in ("العلوي", "الإدريسي", "بنجلون", "الشرقاوي", "عبد الرحيم"):
        assert loose_key(transliterate(name)) == loose_key(name)

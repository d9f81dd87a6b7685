from sijill.names import SpellingDictionary, normalise_arabic


def test_dominant_arabic_form_is_returned_when_seen_often() -> None:
    d = SpellingDictionary()
    d.add("محمد", "Mohamed", count=8)
    d.add("امحمد", "Mohamed", count=1)
    assert d.arabic_for("MOHAMED") == "محمد"
    assert d.latin_for("محمد") == "mohamed"


def test_rare_or_ambiguous_spellings_are_not_trusted() -> None:
    d = SpellingDictionary()
    d.add("سعيد", "Said", count=1)
    assert d.arabic_for("Said") is None
    d.add("سعيد", "Sad", count=3)
    d.add("سعد", "Sad", count=3)
    d.add("صاد", "Sad", count=3)
    assert d.arabic_for("Sad") is None


def test_multi_word_names_teach_their_words() -> None:
    d = SpellingDictionary()
    d.add("فاطمة الزهراء", "Fatima Ezzahra", count=3)
    assert d.arabic_for("Ezzahra") == normalise_arabic("الزهراء")


def test_pairs_in_the_wrong_scripts_are_ignored() -> None:
    d = SpellingDictionary()
    d.add("Mohamed", "محمد")
    assert len(d) == 0

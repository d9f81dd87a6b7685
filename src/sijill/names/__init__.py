"""Names across scripts: normalisation, transliteration, phonetic keys and similarity.

Example:
    >>> name_key("El Alaoui") == name_key("العلوي")
    True
"""

from sijill.names.keys import loose_key, name_key, strict_key
from sijill.names.normalise import is_arabic, normalise, normalise_arabic, normalise_latin
from sijill.names.similarity import similarity
from sijill.names.spellings import SpellingDictionary
from sijill.names.transliterate import transliterate

__all__ = [
    "SpellingDictionary",
    "is_arabic",
    "loose_key",
    "name_key",
    "normalise",
    "normalise_arabic",
    "normalise_latin",
    "similarity",
    "strict_key",
    "transliterate",
]

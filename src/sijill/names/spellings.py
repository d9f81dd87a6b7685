"""A dictionary of spellings learnt from records that carry a name in both scripts."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from sijill.names.normalise import is_arabic, normalise_arabic, normalise_latin

MIN_COUNT = 2
MIN_SHARE = 0.5
SURE_SHARE = 0.9  # a spelling this dominated by one Arabic form is read as that form alone


@dataclass
class SpellingDictionary:
    """Counts of (Arabic form, Latin spelling) pairs seen on the same record.

    Example:
        >>> d = SpellingDictionary()
        >>> d.add("فاطمة", "Fatima", count=3)
        >>> d.arabic_for("FATIMA")
        'فاطمة'
    """

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    _by_latin: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    _by_arabic: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, arabic: str, latin: str, *, count: int = 1) -> None:
        """Record that this Arabic name was written with this Latin spelling."""
        if not arabic or not latin or not is_arabic(arabic) or is_arabic(latin):
            return
        ar, la = normalise_arabic(arabic), normalise_latin(latin)
        if not ar or not la:
            return
        self.counts[(ar, la)] += count
        self._by_latin[la][ar] += count
        self._by_arabic[ar][la] += count
        for ar_word, la_word in _aligned_words(ar, la):
            self._by_latin[la_word][ar_word] += count
            self._by_arabic[ar_word][la_word] += count

    def add_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Record many (Arabic, Latin) pairs."""
        for arabic, latin in pairs:
            self.add(arabic, latin)

    def arabic_for(self, latin: str) -> str | None:
        """Return the Arabic form most often behind this Latin spelling, when clear enough."""
        return _dominant(self._by_latin.get(normalise_latin(latin)))

    def sure_arabic_for(self, latin: str) -> str | None:
        """Return the Arabic form behind this Latin spelling when almost every record that
        carries both says so (Touria is written for ثريا and for تورية: neither is sure)."""
        return _dominant(self._by_latin.get(normalise_latin(latin)), share=SURE_SHARE)

    def knows_latin(self, latin: str) -> bool:
        """Return True when this Latin spelling was seen beside any Arabic form."""
        return normalise_latin(latin) in self._by_latin

    def latin_for(self, arabic: str) -> str | None:
        """Return the Latin spelling most often given to this Arabic form, when clear enough."""
        return _dominant(self._by_arabic.get(normalise_arabic(arabic)))

    def spellings_of(self, arabic: str) -> list[tuple[str, int]]:
        """Return the Latin spellings seen for an Arabic name, most frequent first."""
        return self._by_arabic.get(normalise_arabic(arabic), Counter()).most_common()

    def __len__(self) -> int:
        return len(self.counts)

    def __iter__(self) -> Iterator[tuple[str, str, int]]:
        for (ar, la), n in self.counts.items():
            yield ar, la, n


def _aligned_words(arabic: str, latin: str) -> list[tuple[str, str]]:
    """Pair the words of both forms when they have as many words."""
    ar_words, la_words = arabic.split(), latin.split()
    if len(ar_words) < 2 or len(ar_words) != len(la_words):
        return []
    return list(zip(ar_words, la_words, strict=True))


def _dominant(counter: Counter[str] | None, *, share: float = MIN_SHARE) -> str | None:
    """Return the most frequent entry when it is seen often enough and dominates.

    A tie goes to the first entry in code-point order, never to the order the records came
    in (which differs between database backends).
    """
    if not counter:
        return None
    (best, n), total = min(counter.items(), key=lambda kv: (-kv[1], kv[0])), sum(counter.values())
    if n < MIN_COUNT or n / total < share:
        return None
    return best

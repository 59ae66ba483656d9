"""Search keys: the same key for a word whatever its script, spelling or form.

A word becomes up to two keys: its own (transliterated to Latin and reduced to a skeleton, so
that Osechkin, Osetchkine, Ossetschkin, Osečkin and Осечкин all read "oseckin") and its stem's
(Snowball for Russian and English, a light suffix stripper for Ukrainian, which Snowball lacks),
so that пытка finds пытки and пыток, and tortured finds torture. A query matches an incident
when every query word shares a key with some word of the incident.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

WORD = re.compile(r"\w+", re.UNICODE)
UKRAINIAN_LETTERS = set("іїєґ")
CYRILLIC = re.compile(r"[а-яёіїєґ]")
MAX_QUERY_WORDS = 12

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m",
    "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh",
    "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu",
    "я": "ia",
}
# Spellings of one sound in the transliteration habits of English, French, German and Polish,
# longest first; applied in order to a Latin word.
_SOUNDS = (
    ("shch", "s"), ("tsch", "c"), ("sch", "s"), ("tch", "c"), ("zh", "z"), ("kh", "h"), ("ch", "c"),
    ("sh", "s"), ("ts", "c"), ("tz", "c"), ("cz", "c"), ("sz", "s"), ("ph", "f"), ("ck", "k"),
    ("x", "ks"), ("w", "v"), ("q", "k"), ("y", "i"), ("j", "i"), ("ia", "a"), ("iu", "u"), ("ie", "e"),
    ("io", "o"), ("ou", "u"),
)
_UKRAINIAN_ENDINGS = sorted(("ами", "ями", "ові", "еві", "ого", "ому", "ими", "іми", "ах", "ях", "ів", "їв",
                             "ою", "ею", "ій", "ий", "ої", "ої", "им", "ім", "ам", "ям", "і", "ї", "а",
                             "я", "у", "ю", "о", "е", "и", "ь", "є"), key=len, reverse=True)

_russian = Stemmer.Stemmer("russian")
_english = Stemmer.Stemmer("english")


def _ukrainian_stem(word: str) -> str:
    for ending in _UKRAINIAN_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _skeleton(word: str) -> str:
    """A Latin word reduced to how it sounds, the same for every transliteration habit."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in word)
    latin = "".join(ch for ch in unicodedata.normalize("NFKD", latin) if not unicodedata.combining(ch))
    for spelling, sound in _SOUNDS:
        latin = latin.replace(spelling, sound)
    latin = re.sub(r"(.)\1+", r"\1", latin)  # doubled letters: Ossetschkin
    if len(latin) > 4 and latin.endswith("e"):
        latin = latin[:-1]  # a French silent e: Osetchkine
    return latin


def _fleeting(key: str) -> str:
    """Drop a vowel before the last consonant: пыток and пытк-, потолок and потолк- meet."""
    if len(key) >= 4 and key[-2] in "oe" and key[-1] not in "aeiou":
        return key[:-2] + key[-1]
    return key


@lru_cache(maxsize=65536)
def word_keys(word: str) -> tuple[str, ...]:
    word = word.casefold().replace("ё", "е")
    if CYRILLIC.search(word):
        stem = _ukrainian_stem(word) if UKRAINIAN_LETTERS & set(word) else _russian.stemWord(word)
    else:
        stem = _english.stemWord(word)
    keys = {_skeleton(word), _fleeting(_skeleton(stem))}
    return tuple(sorted(key for key in keys if key))


def text_keys(*texts: str) -> str:
    """Every key of every word in ``texts``, space-separated, for the search index."""
    keys: set[str] = set()
    for text in texts:
        for word in WORD.findall(text or ""):
            keys.update(word_keys(word))
    return " ".join(sorted(keys))


def query_keys(query: str) -> list[tuple[str, ...]]:
    """For each query word (at most MAX_QUERY_WORDS), the keys any of which may match it."""
    words = WORD.findall(query or "")[:MAX_QUERY_WORDS]
    return [keys for keys in (word_keys(word) for word in words) if keys]


def passage(text: str, words: list[tuple[str, ...]], width: int = 28) -> list[tuple[str, bool]] | None:
    """The stretch of ``text`` around its first matching word, as (piece, is_match) pieces.

    None when no word of ``text`` matches; the pieces are plain text, escaped where shown.
    """
    wanted = {key for keys in words for key in keys}
    tokens = list(WORD.finditer(text or ""))
    hits = [i for i, token in enumerate(tokens) if wanted & set(word_keys(token.group()))]
    if not hits:
        return None
    first = max(0, hits[0] - width // 3)
    last = min(len(tokens), first + width)
    start, end = tokens[first].start(), tokens[last - 1].end()
    pieces: list[tuple[str, bool]] = [("… ", False)] if first > 0 else []
    position = start
    for index in range(first, last):
        token = tokens[index]
        if index in hits:
            pieces.append((text[position:token.start()], False))
            pieces.append((token.group(), True))
            position = token.end()
    pieces.append((text[position:end], False))
    if last < len(tokens):
        pieces.append((" …", False))
    return [piece for piece in pieces if piece[0]]

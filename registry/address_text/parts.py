"""Free-text Vietnamese addresses split into labelled parts. Pure functions, no database.

"Số 12 ngõ 34/5 Đ. Nguyễn Văn Cừ, TDP Đông Thành, P. Bắc Giang, T. Bắc Ninh" becomes a house
number, an alley path, a street, a hamlet, a commune and a province. Type words are recognised
with or without diacritics, abbreviated or not (P., X., TP., TX., TT., Q., H., Đ., T., TDP,
KP, P2, Q1), and so are the old district-based forms ("Quận", "Huyện", "Thị xã", "Thị trấn").
Parts without a type word are returned as unlabelled; which of them name a commune or province
is decided with the gazetteer (``registry.address_text.matching``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from geo import accent_key, fold, strip_diacritics


class Kind(StrEnum):
    """What a part of an address is."""

    HOUSE = "house_number"
    ALLEY = "alley"
    STREET = "street"
    HAMLET = "hamlet"
    COMMUNE = "commune"
    #: "Thị trấn": a township, abolished in 2025, so always a pre-2025 address.
    TOWNSHIP = "township"
    DISTRICT = "district"
    #: "Thành phố": a province-level city, or a pre-2025 district-level city.
    CITY = "city"
    PROVINCE = "province"
    #: No type word: a street, hamlet or administrative name, decided later.
    UNLABELLED = "unlabelled"


ADMIN_KINDS = frozenset({Kind.COMMUNE, Kind.TOWNSHIP, Kind.DISTRICT, Kind.CITY, Kind.PROVINCE})


@dataclass(frozen=True, slots=True)
class Part:
    """One part of an address: its kind, the type word as typed (if any) and the value."""

    kind: Kind
    value: str
    type_word: str | None = None


@dataclass(frozen=True, slots=True)
class _Keyword:
    words: tuple[str, ...]  # accent keys of the words, e.g. ("tổ", "dân", "phố")
    kind: Kind
    #: Weak keywords are also common words inside names; they count only at a part's start.
    weak: bool = False


def _keywords(kind: Kind, *phrases: str, weak: bool = False) -> list[_Keyword]:
    return [_Keyword(tuple(phrase.split()), kind, weak) for phrase in phrases]


KEYWORDS: tuple[_Keyword, ...] = tuple(
    sorted(
        _keywords(Kind.HOUSE, "số nhà", "nhà số", "số")
        + _keywords(Kind.ALLEY, "ngõ", "ngách", "hẻm", "kiệt")
        + _keywords(Kind.STREET, "đường", "phố", "đại lộ")
        + _keywords(Kind.HAMLET, "thôn", "xóm", "ấp", "tổ dân phố", "tổ", "khu phố")
        + _keywords(Kind.HAMLET, "bản", "khu", "khối", "làng", "buôn", "phum", "sóc", weak=True)
        + _keywords(Kind.HAMLET, "khóm", "cụm", "đội", weak=True)
        + _keywords(Kind.COMMUNE, "phường", "xã", "đặc khu")
        + _keywords(Kind.TOWNSHIP, "thị trấn")
        + _keywords(Kind.DISTRICT, "quận", "huyện", "thị xã")
        + _keywords(Kind.CITY, "thành phố")
        + _keywords(Kind.PROVINCE, "tỉnh"),
        key=lambda keyword: -len(keyword.words),
    )
)
_FOLDED_KEYWORDS = {tuple(fold(w) for w in k.words): k for k in reversed(KEYWORDS)}
_ACCENTED_KEYWORDS = {k.words: k for k in KEYWORDS}
_MAX_KEYWORD_WORDS = max(len(k.words) for k in KEYWORDS)
_FIRST_WORDS = frozenset(words[0] for words in _FOLDED_KEYWORDS)

#: Abbreviations with a dot, anywhere ("P.Bắc Giang", "TP. Hà Nội", "Đ. Lê Lợi").
_DOTTED = {
    "tp": "Thành phố",
    "tx": "Thị xã",
    "tt": "Thị trấn",
    "tdp": "Tổ dân phố",
    "kp": "Khu phố",
    "p": "Phường",
    "x": "Xã",
    "q": "Quận",
    "h": "Huyện",
    "t": "Tỉnh",
    "đ": "Đường",
    "d": "Đường",
}
#: Abbreviations that are unambiguous as words of their own, without a dot.
_BARE = ("tp", "tx", "tt", "tdp", "kp")
_DOTTED_RE = re.compile(
    r"(?<!\w)(" + "|".join(sorted(_DOTTED, key=len, reverse=True)) + r")\.\s*", re.I
)
_BARE_RE = re.compile(r"(?<!\w)(" + "|".join(_BARE) + r")(?=\s)", re.I)
#: HCMC-style numbered wards and districts: "P2", "p.12", "Q1".
_NUMBERED_RE = re.compile(r"(?<!\w)([pq])\s?(\d{1,2})(?!\w)", re.I)
#: " - " and similar dashes between parts act as commas; "12-14" does not.
_DASH_SEPARATOR_RE = re.compile(r"\s[-\u2013\u2014]\s")
_SEPARATORS_RE = re.compile(r"[,;\n\r|]+")
#: A house or alley number: 12, 12A, 34/5, 12-14, 5B/2.
_NUMBER_RE = re.compile(r"^\d+[A-Za-z]?(?:[/-]\d+[A-Za-z]?)*$")


@lru_cache(maxsize=8192)
def parse(text: str) -> tuple[Part, ...]:
    """The parts of an address typed as free text, in the order they were typed.

    Cached: registered street, hamlet and alley names are parsed again and again.
    """
    parts: list[Part] = []
    for segment in _segments(_expand_abbreviations(text)):
        parts += _parse_segment([_Word.of(word) for word in segment.split()])
    return tuple(parts)


def is_number(token: str) -> bool:
    """Whether ``token`` reads as a house or alley number (12, 12A, 34/5, 12-14)."""
    return bool(_NUMBER_RE.match(token))


def has_diacritics(text: str) -> bool:
    """Whether ``text`` has Vietnamese diacritics (đ counts); plain ASCII has none."""
    return strip_diacritics(text) != text


def _expand_abbreviations(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _NUMBERED_RE.sub(lambda m: f"{_DOTTED[m.group(1).lower()]} {m.group(2)}", text)
    text = _DOTTED_RE.sub(lambda m: _DOTTED[m.group(1).lower()] + " ", text)
    return _BARE_RE.sub(lambda m: _DOTTED[m.group(1).lower()], text)


def _segments(text: str) -> list[str]:
    text = _DASH_SEPARATOR_RE.sub(", ", text)
    return [segment.strip() for segment in _SEPARATORS_RE.split(text) if segment.strip()]


@dataclass(frozen=True, slots=True)
class _Word:
    """A word with the keys keyword matching needs, computed once."""

    text: str
    folded: str

    @classmethod
    def of(cls, text: str) -> _Word:
        return cls(text, fold(text))


def _keyword_at(words: list[_Word], i: int, at_start: bool) -> _Keyword | None:
    """The longest keyword starting at ``words[i]``, matched with its accents or without any."""
    if words[i].folded not in _FIRST_WORDS:  # most words: no keyword starts with them
        return None
    for length in range(min(_MAX_KEYWORD_WORDS, len(words) - i), 0, -1):
        chunk = words[i : i + length]
        keyword = _ACCENTED_KEYWORDS.get(tuple(accent_key(word.text) for word in chunk))
        if keyword is None and not any(has_diacritics(word.text) for word in chunk):
            keyword = _FOLDED_KEYWORDS.get(tuple(word.folded for word in chunk))
        if keyword is not None and (at_start or not keyword.weak):
            return keyword
    return None


def _parse_segment(words: list[_Word]) -> list[Part]:
    """Split one comma-separated segment at its type words."""
    parts: list[Part] = []
    i, start = 0, 0
    current: tuple[Kind, str | None] = (Kind.UNLABELLED, None)
    while i < len(words):
        unlabelled = current[0] is Kind.UNLABELLED
        keyword = _keyword_at(words, i, at_start=unlabelled and i == start)
        # After a type word at least one word is the name: "Phường Xa La", "Thôn Xóm Mới".
        if (
            keyword is not None
            and i + len(keyword.words) < len(words)
            and (unlabelled or i > start)
        ):
            parts += _finish(words[start:i], current)
            type_word = " ".join(word.text for word in words[i : i + len(keyword.words)])
            i += len(keyword.words)
            start, current = i, (keyword.kind, type_word)
            if keyword.kind in {Kind.HOUSE, Kind.ALLEY} and is_number(words[i].text):
                parts.append(Part(keyword.kind, words[i].text, type_word))
                i += 1
                start, current = i, (Kind.UNLABELLED, None)
            elif keyword.kind is Kind.HOUSE:  # "số" not followed by a number is just a word
                start, current = i - len(keyword.words), (Kind.UNLABELLED, None)
            continue
        i += 1
    parts += _finish(words[start:], current)
    return parts


def _finish(words: list[_Word], current: tuple[Kind, str | None]) -> list[Part]:
    """The part(s) of ``words``: a leading number of an unlabelled part is a house number."""
    kind, type_word = current
    if not words:
        return []
    if kind is Kind.UNLABELLED and is_number(words[0].text):
        return [Part(Kind.HOUSE, words[0].text), *_finish(words[1:], current)]
    return [Part(kind, " ".join(word.text for word in words).strip(" .:"), type_word)]

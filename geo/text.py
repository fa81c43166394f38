"""Vietnamese text folding for search keys and exact-accent comparison. Pure functions.

``fold`` gives the diacritics-free key used to *find* names ("Cẩm Giàng" -> "cam giang");
``accent_key`` keeps the accents so that ranking can tell "Cẩm Giang" from "Cẩm Giàng", which
are different communes. Both treat punctuation the same way, so two texts with equal
``accent_key`` always have equal ``fold``.
"""

from __future__ import annotations

import re
import unicodedata

#: Letters NFD does not decompose: đ is a letter of its own, and Ð/ð (Icelandic eth) often
#: stands in for it in text converted from legacy Vietnamese encodings.
_D_LETTERS = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})

#: Apostrophes inside names are dropped, not spaced: "Ea H'Leo" -> "ea hleo".
_APOSTROPHES = frozenset("'\u2019\u02bc\u2018`")

#: The five tone marks, as combining characters (grave, acute, tilde, hook above, dot below).
_TONES = "\u0300\u0301\u0303\u0309\u0323"

#: "hoà"/"hòa", "khoẻ"/"khỏe", "thuỷ"/"thủy": two spellings of one word, differing only in
#: where the tone mark sits on a word-final oa/oe/uy. Keys use the traditional placement (on
#: the first vowel), as the national catalogue does. After "q" the "u" belongs to the
#: consonant ("quý"), so the mark stays on "y".
_NEW_STYLE_TONE = re.compile(rf"(?<!q)(o)([ae])([{_TONES}])$|(?<!q)(u)(y)([{_TONES}])$")


def strip_diacritics(text: str) -> str:
    """``text`` without diacritics, keeping case and punctuation: "Đà Lạt" -> "Da Lat"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_LETTERS))
    bare = "".join(char for char in decomposed if unicodedata.category(char) != "Mn")
    return unicodedata.normalize("NFC", bare)


def fold(text: str) -> str:
    """The search key of ``text``: "Đường Lâm - Sơn Tây" -> "duong lam son tay".

    Lower-cases, maps đ to d *before* decomposing (NFD leaves đ alone), strips combining marks,
    turns punctuation into spaces (apostrophes are dropped) and collapses whitespace. The result
    holds only lower-case letters, digits and single spaces, so it never contains LIKE wildcards.
    """
    # Compatibility forms (fullwidth, ligatures, styled letters) first, so that case folding
    # sees plain letters; case folding can produce decomposable letters, hence NFKD again.
    lowered = unicodedata.normalize("NFKD", text).casefold().translate(_D_LETTERS)
    decomposed = unicodedata.normalize("NFKD", lowered)
    bare = "".join(char for char in decomposed if unicodedata.category(char) != "Mn")
    return _words(bare)


def accent_key(text: str) -> str:
    """The accent-preserving comparison key of ``text``: NFKC, lower-cased, spaces collapsed.

    Punctuation is treated as in ``fold``, and the two conventional tone-mark placements on
    word-final oa/oe/uy are unified ("Thanh Hoá" and "Thanh Hóa" get the same key).
    """
    words = _words(unicodedata.normalize("NFKC", text).casefold()).split(" ")
    return " ".join(_traditional_tone(word) for word in words)


def _words(text: str) -> str:
    """``text`` with apostrophes dropped, other non-alphanumerics as spaces, spaces collapsed."""
    chars = [
        "" if char in _APOSTROPHES else char if char.isalnum() or _is_mark(char) else " "
        for char in text
    ]
    return " ".join("".join(chars).split())


def _is_mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def _traditional_tone(word: str) -> str:
    """``word`` (NFC) with a word-final new-style tone placement moved to the first vowel."""
    decomposed = unicodedata.normalize("NFD", word)
    moved = _NEW_STYLE_TONE.sub(_move_tone, decomposed)
    return unicodedata.normalize("NFC", moved) if moved != decomposed else word


def _move_tone(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1) + match.group(3) + match.group(2)
    return match.group(4) + match.group(6) + match.group(5)

"""Business API: search indexes and reverse lookup.

- ``registry_fold(text)``: the SQL twin of ``geo.text.fold`` (đ -> d, diacritics stripped,
  lower case, punctuation as spaces), IMMUTABLE so that it can be indexed. It needs no
  extension (no ``unaccent`` dictionary that could change under the index).
- ``registry_address_key(house_number, alley, street, hamlet)``: the folded structured address.
- ``addresses_search_key``: pg_trgm GIN index on that key, active addresses only (search).
- ``addresses_point_geography``: GiST index on ``geography(point)``, active addresses only
  (nearest addresses by KNN ``<->`` and radius in metres, reverse lookup).
- ``addresses_province``: active addresses by province (search filtered by province).

Revision ID: 0003
Revises: 0002
"""

import unicodedata
from collections.abc import Iterator, Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Unicode blocks with Latin letters (Latin-1, Latin Extended-A/B, Latin Extended Additional,
#: which holds the Vietnamese letters with two marks such as ầ, ặ, ữ).
_LATIN_BLOCKS = ((0x00C0, 0x0250), (0x1E00, 0x1F00))
#: Letters that NFKD does not decompose: đ, and the eth that legacy encodings put in its place.
_D_LETTERS = {"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"}


def _letters() -> Iterator[str]:
    for start, stop in _LATIN_BLOCKS:
        yield from (chr(code) for code in range(start, stop))


def _folded_letter(char: str) -> str | None:
    """The one ASCII lower-case letter ``char`` folds to, as ``geo.text.fold`` does, or None.

    Kept in the migration (not imported from ``geo.text``) so that the function this revision
    creates never changes with the application code.
    """
    if char in _D_LETTERS:
        return _D_LETTERS[char]
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    bare = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return bare if len(bare) == 1 and "a" <= bare <= "z" and bare != char else None


def _translation() -> tuple[str, str]:
    """``translate()`` arguments mapping every foldable Latin letter, and A-Z, to a-z."""
    pairs = [(chr(c), chr(c).lower()) for c in range(ord("A"), ord("Z") + 1)]
    pairs += [(c, f) for c in _letters() if (f := _folded_letter(c)) is not None]
    return "".join(c for c, _ in pairs), "".join(f for _, f in pairs)


def _fold_function() -> str:
    source, target = _translation()
    # NFKC first (compatibility forms, and precomposed letters for translate); apostrophes are
    # dropped and combining marks left over by letters without a precomposed form are removed;
    # everything else that is not a-z or 0-9 separates words.
    return f"""
    CREATE FUNCTION registry_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN btrim(regexp_replace(
        regexp_replace(
            translate(normalize(value, NFKC), '{source}', '{target}'),
            '[''\\u2019\\u02bc\\u2018`\\u0300-\\u036f]', '', 'g'),
        '[^a-z0-9]+', ' ', 'g'))
    """


ADDRESS_KEY_FUNCTION = """
CREATE FUNCTION registry_address_key(house_number text, alley text[], street text, hamlet text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN registry_fold(
    coalesce(house_number, '') || ' ' || coalesce(array_to_string(alley, ' '), '') || ' '
    || coalesce(street, '') || ' ' || coalesce(hamlet, ''))
"""


def upgrade() -> None:
    """Apply this revision."""
    op.execute(_fold_function())
    op.execute(ADDRESS_KEY_FUNCTION)
    op.execute(
        "CREATE INDEX addresses_search_key ON addresses USING gin"
        " (registry_address_key(house_number, alley, street, hamlet) gin_trgm_ops)"
        " WHERE status = 'active'"
    )
    op.execute(
        "CREATE INDEX addresses_point_geography ON addresses USING gist (geography(point))"
        " WHERE status = 'active'"
    )
    op.execute(
        "CREATE INDEX addresses_province ON addresses (province_code) WHERE status = 'active'"
    )


def downgrade() -> None:
    """Revert this revision."""
    op.execute("DROP INDEX addresses_province")
    op.execute("DROP INDEX addresses_point_geography")
    op.execute("DROP INDEX addresses_search_key")
    op.execute("DROP FUNCTION registry_address_key(text, text[], text, text)")
    op.execute("DROP FUNCTION registry_fold(text)")

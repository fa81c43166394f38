"""Addresses typed as text: split into parts, read against the map (current and pre-2025), matched.

``parts`` splits text at its type words, ``gazetteer`` and ``legacy`` name the units of the
current and the old map, ``reading`` decides which parts name the commune and province, and
``matching`` compares a reading with a registered address. Pure functions over the catalogue.
"""

from registry.address_text.gazetteer import Gazetteer, Unit, forget_cached, gazetteer
from registry.address_text.matching import (
    LEGACY,
    AddressMatch,
    ComponentMatch,
    Status,
    compare,
    house_key,
    name_terms,
    same_name,
    typed_names,
)
from registry.address_text.parts import has_diacritics
from registry.address_text.reading import ReadAddress, read_address

__all__ = [
    "LEGACY",
    "AddressMatch",
    "ComponentMatch",
    "Gazetteer",
    "ReadAddress",
    "Status",
    "Unit",
    "compare",
    "forget_cached",
    "gazetteer",
    "has_diacritics",
    "house_key",
    "name_terms",
    "read_address",
    "same_name",
    "typed_names",
]

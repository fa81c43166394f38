"""The open licences the open data may be published under (setting ``OPENDATA_LICENCE``)."""

from __future__ import annotations

from dataclasses import dataclass

from registry.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Licence:
    """An open licence: its SPDX identifier, name and text's URL."""

    id: str
    name: str
    url: str


#: CC BY 4.0 by default: the usual licence of public-sector open data (anyone may reuse the
#: data, commercially too, naming the source), with no share-alike duty on what is built on it.
DEFAULT_LICENCE = "CC-BY-4.0"

LICENCES: dict[str, Licence] = {
    licence.id: licence
    for licence in (
        Licence(
            "CC-BY-4.0",
            "Creative Commons Attribution 4.0 International (CC BY 4.0)",
            "https://creativecommons.org/licenses/by/4.0/",
        ),
        Licence(
            "ODbL-1.0",
            "Open Data Commons Open Database License (ODbL) 1.0",
            "https://opendatacommons.org/licenses/odbl/1-0/",
        ),
        Licence(
            "CC0-1.0",
            "Creative Commons Zero 1.0 Universal (CC0 1.0)",
            "https://creativecommons.org/publicdomain/zero/1.0/",
        ),
    )
}


def licence_for(identifier: str) -> Licence:
    """The licence with SPDX identifier ``identifier`` (case-insensitive).

    :raises InvalidInput: not one of :data:`LICENCES`.
    """
    for licence in LICENCES.values():
        if licence.id.lower() == identifier.strip().lower():
            return licence
    choices = ", ".join(LICENCES)
    raise InvalidInput(
        f"unknown open-data licence {identifier!r}: use one of {choices}",
        {"licence": [f"one of {choices}"]},
    )

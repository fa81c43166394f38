"""The registry's domain: households, addresses and their changes, on an explicit session.

The modules at this level are the records and their changes (``models``, ``households``,
``addresses``, ``lifecycle``, ``corrections``, with ``changes``, ``versions`` and ``audit``
under them); the rooms below are whole subsystems: ``access`` (users, tokens, API keys),
``admin_units`` (the map), ``address_text`` (addresses typed as text), ``lookups`` (public
reads), ``sync`` (offline phones) and ``importing`` (bulk lists). Code outside the registry
imports only what this module and those sub-packages list.
"""

from registry import errors, fields, migrate, models
from registry.addresses import AddressView, format_line, get_address, public_view_query
from registry.corrections import Correction, correct_address, retire_address
from registry.db import engine_for, session_factory
from registry.demo import DEMO_COMMUNE, seed
from registry.errors import (
    AuthenticationFailed,
    InvalidInput,
    PreconditionFailed,
    RegistryError,
)
from registry.fields import LOCATION_SOURCES
from registry.households import (
    Head,
    HouseholdView,
    Location,
    NewDwelling,
    Registration,
    Rules,
    StructuredAddress,
    get_household,
    register_household,
)
from registry.lifecycle import MoveTarget, dissolve_household, move_household, update_household
from registry.plates import iter_plate_addresses, plan_print_run
from registry.versions import Changed, Precondition

__all__ = [
    "DEMO_COMMUNE",
    "LOCATION_SOURCES",
    "AddressView",
    "AuthenticationFailed",
    "Changed",
    "Correction",
    "Head",
    "HouseholdView",
    "InvalidInput",
    "Location",
    "MoveTarget",
    "NewDwelling",
    "Precondition",
    "PreconditionFailed",
    "Registration",
    "RegistryError",
    "Rules",
    "StructuredAddress",
    "correct_address",
    "dissolve_household",
    "engine_for",
    "errors",
    "fields",
    "format_line",
    "get_address",
    "get_household",
    "iter_plate_addresses",
    "migrate",
    "models",
    "move_household",
    "plan_print_run",
    "public_view_query",
    "register_household",
    "retire_address",
    "seed",
    "session_factory",
    "update_household",
]

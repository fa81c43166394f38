"""The registry's domain: households, addresses and their changes, on an explicit session.

The modules at this level are the records and their changes (``models``, ``households``,
``addresses``, ``lifecycle``, ``corrections``, with ``changes``, ``versions`` and ``audit``
under them, ``reads``, the trail of who read personal data, and ``replication``, how far a
read replica is behind); the rooms below are whole subsystems: ``access`` (users, tokens, API
keys), ``admin_units`` (the map), ``address_text`` (addresses typed as text), ``lookups``
(public reads), ``sync`` (offline phones), ``importing`` (bulk lists) and ``pii`` (citizen
IDs and phones sealed at rest, their keys).
Code outside the registry imports only what this module and those sub-packages list.
"""

from registry import (
    dashboard,
    errors,
    fields,
    maintenance,
    migrate,
    models,
    pii,
    reads,
    replication,
    roles,
)
from registry.addresses import AddressView, format_line, get_address, public_view_query
from registry.corrections import Correction, correct_address, retire_address
from registry.db import POOLERS, engine_for, session_factory
from registry.demo import DEMO_COMMUNE, seed
from registry.dwellings import Location, NewDwelling, Rules, StructuredAddress
from registry.errors import (
    AuthenticationFailed,
    InvalidInput,
    PreconditionFailed,
    RegistryError,
)
from registry.fields import LOCATION_SOURCES
from registry.households import Head, HouseholdView, Registration, get_household, register_household
from registry.lifecycle import MoveTarget, dissolve_household, move_household, update_household
from registry.plates import iter_plate_addresses, plan_print_run, record_print_run
from registry.versions import Changed, Precondition

__all__ = [
    "DEMO_COMMUNE",
    "LOCATION_SOURCES",
    "POOLERS",
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
    "dashboard",
    "dissolve_household",
    "engine_for",
    "errors",
    "fields",
    "format_line",
    "get_address",
    "get_household",
    "iter_plate_addresses",
    "maintenance",
    "migrate",
    "models",
    "move_household",
    "pii",
    "plan_print_run",
    "public_view_query",
    "reads",
    "record_print_run",
    "register_household",
    "replication",
    "retire_address",
    "roles",
    "seed",
    "session_factory",
    "update_household",
]

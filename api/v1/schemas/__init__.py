"""Request and response schemas of /v1 (marshmallow), one module per resource.

Their validators come from the table of field rules, :mod:`registry.fields`. Code outside
this package imports the schemas from here, not from the modules below.
"""

from api.v1.schemas.addresses import (
    AddressIn,
    AddressOut,
    AddressPatchIn,
    LocationIn,
    RetireIn,
    present_address,
)
from api.v1.schemas.admin_units import UnitFeature, UnitOut, UnitPage, UnitQuery
from api.v1.schemas.auth import Credentials, MeOut, TokenOut
from api.v1.schemas.codes import BoundsOut, CodeInfo, PointOut
from api.v1.schemas.dashboard import (
    CsvQuery,
    DaysCsvQuery,
    DaysQuery,
    MapOut,
    ProvinceListOut,
    ProvinceOut,
)
from api.v1.schemas.history import (
    AccessEventOut,
    AuditPageOut,
    AuditQuery,
    CommunePageQuery,
    EventOut,
    EventPageOut,
    PageQuery,
)
from api.v1.schemas.households import (
    REGISTRATION_EXAMPLE,
    FeedOut,
    HeadIn,
    HouseholdIn,
    HouseholdOut,
    HouseholdPatchIn,
    MoveIn,
)
from api.v1.schemas.plates import DEFAULT_PER_PAGE, PrintRunQuery, QrQuery
from api.v1.schemas.reverse import NearbyPage, ReverseQuery
from api.v1.schemas.search import SearchPage, SearchQuery
from api.v1.schemas.sync import (
    SYNC_EXAMPLE,
    DissolveIn,
    SyncBatchIn,
    SyncOperationIn,
    SyncOut,
    SyncResultOut,
)
from api.v1.schemas.validate import (
    BATCH_EXAMPLE,
    VALIDATE_EXAMPLE,
    BatchIn,
    BatchOut,
    ValidateIn,
    ValidationOut,
)

__all__ = [
    "BATCH_EXAMPLE",
    "DEFAULT_PER_PAGE",
    "REGISTRATION_EXAMPLE",
    "SYNC_EXAMPLE",
    "VALIDATE_EXAMPLE",
    "AccessEventOut",
    "AddressIn",
    "AddressOut",
    "AddressPatchIn",
    "AuditPageOut",
    "AuditQuery",
    "BatchIn",
    "BatchOut",
    "BoundsOut",
    "CodeInfo",
    "CommunePageQuery",
    "Credentials",
    "CsvQuery",
    "DaysCsvQuery",
    "DaysQuery",
    "DissolveIn",
    "EventOut",
    "EventPageOut",
    "FeedOut",
    "HeadIn",
    "HouseholdIn",
    "HouseholdOut",
    "HouseholdPatchIn",
    "LocationIn",
    "MapOut",
    "MeOut",
    "MoveIn",
    "NearbyPage",
    "PageQuery",
    "PointOut",
    "PrintRunQuery",
    "ProvinceListOut",
    "ProvinceOut",
    "QrQuery",
    "RetireIn",
    "ReverseQuery",
    "SearchPage",
    "SearchQuery",
    "SyncBatchIn",
    "SyncOperationIn",
    "SyncOut",
    "SyncResultOut",
    "TokenOut",
    "UnitFeature",
    "UnitOut",
    "UnitPage",
    "UnitQuery",
    "ValidateIn",
    "ValidationOut",
    "present_address",
]

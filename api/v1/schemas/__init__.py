"""Request and response schemas of /v1 (marshmallow), one module per resource."""

from api.v1.schemas.business import (
    BatchIn,
    BatchOut,
    NearbyPage,
    SearchPage,
    ValidateIn,
    ValidationOut,
)
from api.v1.schemas.changes import (
    AddressPatchIn,
    CommunePageQuery,
    EventPageOut,
    FeedOut,
    HouseholdPatchIn,
    MoveIn,
    PageQuery,
    RetireIn,
)
from api.v1.schemas.common import AddressOut, HouseholdIn, HouseholdOut, present_address

__all__ = [
    "AddressOut",
    "AddressPatchIn",
    "BatchIn",
    "BatchOut",
    "CommunePageQuery",
    "EventPageOut",
    "FeedOut",
    "HouseholdIn",
    "HouseholdOut",
    "HouseholdPatchIn",
    "MoveIn",
    "NearbyPage",
    "PageQuery",
    "RetireIn",
    "SearchPage",
    "ValidateIn",
    "ValidationOut",
    "present_address",
]

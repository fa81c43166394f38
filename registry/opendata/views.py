"""The open-data collections: which view each one reads, its key, its queryables, its titles.

Both views (migration 0008) hold public facts only; households and people are not in them.
Each collection is read by key: rows come in the order of :attr:`Collection.key`, which an
index serves, and a page goes on after the last key of the one before, never by OFFSET.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Geometry of the views: WGS 84 longitude/latitude (stored as EPSG:4326).
SRID = 4326
#: The view of the administrative units (a unit's province: ``province_code``).
UNITS_VIEW = "open_admin_units"


@dataclass(frozen=True, slots=True)
class Collection:
    """One open-data collection (an OGC API - Features collection, and a kind of export)."""

    #: The collection's identifier in URLs (``/collections/<name>``).
    name: str
    #: The view it reads (granted to the read-only role).
    view: str
    title: dict[str, str]
    description: dict[str, str]
    keywords: dict[str, list[str]]
    #: The column holding each feature's identifier ...
    id_field: str
    #: ... made of these columns joined by ``/`` (an empty last part leaves no slash).
    id_parts: tuple[str, ...]
    #: The paging order: unique, and the order of an index of the table under the view.
    key: tuple[str, ...]
    geometry: str
    #: The time a ``datetime`` filter applies to (None: no time).
    time_field: str | None
    #: The properties a query may filter on by equality (each served by an index, or the
    #: view is small).
    queryables: tuple[str, ...]
    #: Columns of the view that are only there for the key, never published.
    hidden: tuple[str, ...] = ()
    #: A filter on one of these makes the count of matches cheap (``*``: always cheap).
    counted_by: tuple[str, ...] = ()
    #: A filter on a unit code (key) also filters this column (value) by the unit's province,
    #: so that the key's index is entered at its province and commune, never scanned past.
    province_of: dict[str, str] = field(default_factory=dict)
    default_limit: int = 100
    max_limit: int = 10_000


ADDRESSES = Collection(
    name="addresses",
    view="open_addresses",
    title={"vi": "Địa chỉ số", "en": "Digital addresses"},
    description={
        "vi": "Các địa chỉ số đã đăng ký (đang dùng và đã thu hồi): mã, vị trí và địa chỉ có"
        " cấu trúc, xã/phường và tỉnh/thành phố. Không có thông tin về hộ gia đình hay người.",
        "en": "Registered digital addresses (active and retired): code, point and structured"
        " address, commune and province. Nothing about households or people.",
    },
    keywords={
        "vi": ["địa chỉ số", "địa chỉ", "mã địa chỉ", "Việt Nam"],
        "en": ["digital address", "address", "address code", "Vietnam"],
    },
    id_field="id",
    id_parts=("code", "unit_key"),
    key=("province_code", "commune_code", "code", "unit_key"),
    geometry="point",
    time_field="updated_at",
    queryables=("commune_code", "province_code", "code"),
    hidden=("unit_key",),
    # A commune's addresses are counted from its index in milliseconds; a province's or the
    # whole table's would be a scan per page.
    counted_by=("commune_code", "code"),
    province_of={"commune_code": "province_code"},
)

ADMIN_UNITS = Collection(
    name="admin-units",
    view=UNITS_VIEW,
    title={"vi": "Đơn vị hành chính", "en": "Administrative units"},
    description={
        "vi": "Các tỉnh/thành phố và xã/phường/đặc khu từ ngày 1/7/2025, với ranh giới khi đã"
        " nạp (ranh giới tham khảo, không phải ranh giới pháp lý).",
        "en": "Provinces and communes/wards/special zones since 1 July 2025, with boundaries"
        " where loaded (reference geometry, not legal boundaries).",
    },
    keywords={
        "vi": ["đơn vị hành chính", "tỉnh", "xã", "ranh giới"],
        "en": ["administrative units", "provinces", "communes", "boundaries"],
    },
    id_field="code",
    id_parts=("code",),
    key=("code",),
    geometry="boundary",
    time_field=None,
    queryables=("level", "province_code", "parent_code"),
    counted_by=("*",),
    # Boundaries are large: a page of a few hundred is already megabytes.
    default_limit=50,
    max_limit=500,
)

COLLECTIONS: tuple[Collection, ...] = (ADDRESSES, ADMIN_UNITS)

#: The published columns of ``open_addresses`` in file order (exports: CSV adds lon, lat).
ADDRESS_COLUMNS = (
    "id",
    "code",
    "unit",
    "display_code",
    "status",
    "successor_code",
    "house_number",
    "alley",
    "street",
    "hamlet",
    "postcode",
    "commune_code",
    "commune_name",
    "commune_name_en",
    "province_code",
    "province_name",
    "province_name_en",
    "updated_at",
)

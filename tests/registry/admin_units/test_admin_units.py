"""Tests for the administrative unit catalogue, boundaries and lookups, on real PostGIS."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from geo.point import Point
from registry.admin_units import (
    AdminUnitView,
    commune_at,
    get_unit,
    has_boundary,
    load_boundaries,
    load_catalogue,
    province_at,
    search_units,
)
from registry.errors import InvalidInput, NotFound
from registry.models import AdminUnit

#: The catalogue and its boundaries belong to the schema's owner: the app role only reads them.
pytestmark = pytest.mark.as_owner


BAC_GIANG_WARD = "07210"  # Phường Bắc Giang, a former Bắc Giang province unit, now in Bắc Ninh
# A square well inside Phường Bắc Giang (the real boundary is not needed for these tests).
SQUARE = [[[106.20, 21.27], [106.23, 21.27], [106.23, 21.30], [106.20, 21.30], [106.20, 21.27]]]
INSIDE = Point(106.215, 21.285)
OUTSIDE = Point(105.85, 21.03)


@pytest.fixture
def catalogue(db: Session) -> Session:
    """The test session with the whole catalogue loaded."""
    load_catalogue(db)
    return db


def codes(units: list[AdminUnitView]) -> list[str]:
    return [unit.code for unit in units]


def feature(properties: dict[str, Any], geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def write_geojson(path: Path, features: list[dict[str, Any]], **members: Any) -> Path:
    data = json.dumps({"type": "FeatureCollection", "features": features, **members}).encode()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


@pytest.fixture
def boundary_file(tmp_path: Path) -> Path:
    """A square for Phường Bắc Giang, a feature with an unknown code and one without geometry."""
    return write_geojson(
        tmp_path / "test_communes.geojson",
        [
            feature({"code": BAC_GIANG_WARD, "name": "Bắc Giang"}, _polygon(SQUARE)),
            feature({"code": "99999"}, _polygon(SQUARE)),
            feature({"code": "07228"}, None),
        ],
    )


def _polygon(coordinates: list[Any]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": coordinates}


# --- catalogue ---------------------------------------------------------------------------


def test_load_catalogue_counts(db: Session) -> None:
    stats = load_catalogue(db)

    assert (stats.provinces, stats.communes) == (34, 3321)
    assert stats.source == f"vietnamadminunits {metadata.version('vietnamadminunits')}"
    query = select(AdminUnit.level, func.count()).group_by(AdminUnit.level)
    levels = dict(db.execute(query).all())
    assert levels == {"province": 34, "commune": 3321}
    for level, code, parent in db.execute(
        select(AdminUnit.level, AdminUnit.code, AdminUnit.parent_code)
    ):
        if level == "province":
            assert re.fullmatch(r"\d{2}", code)
            assert parent is None
        else:
            assert re.fullmatch(r"\d{5}", code)
            assert parent is not None
            assert re.fullmatch(r"\d{2}", parent)


def test_every_unit_has_a_reference_point_in_vietnam(catalogue: Session) -> None:
    query = select(AdminUnit.code, func.ST_X(AdminUnit.ref_point), func.ST_Y(AdminUnit.ref_point))
    points = {code: Point(lon, lat) for code, lon, lat in catalogue.execute(query)}
    assert len(points) == 3355
    # Every unit, the offshore special zones Hoàng Sa (20333) and Trường Sa (22736) included,
    # lies in one of the boxes of Vietnam's territory.
    outside = {code for code, point in points.items() if not point.in_vietnam_bbox}
    assert outside == set()
    srids = catalogue.scalars(select(func.distinct(func.ST_SRID(AdminUnit.ref_point))))
    assert list(srids) == [4326]


def test_reloading_the_catalogue_is_harmless(catalogue: Session, boundary_file: Path) -> None:
    load_boundaries(catalogue, boundary_file)
    before = get_unit(catalogue, BAC_GIANG_WARD)

    stats = load_catalogue(catalogue)

    assert (stats.provinces, stats.communes) == (34, 3321)
    assert catalogue.scalar(select(func.count()).select_from(AdminUnit)) == 3355
    assert has_boundary(catalogue, BAC_GIANG_WARD)
    assert get_unit(catalogue, BAC_GIANG_WARD) == before  # boundary's ref point kept too


def test_bac_ninh_includes_the_former_bac_giang_communes(catalogue: Session) -> None:
    ward = get_unit(catalogue, BAC_GIANG_WARD)
    assert (ward.name, ward.parent_code, ward.parent_name) == (
        "Phường Bắc Giang",
        "24",
        "Tỉnh Bắc Ninh",
    )
    assert ward.area_km2 == pytest.approx(23.23)
    assert get_unit(catalogue, "24").area_km2 is None  # the package has no province areas
    communes = codes(search_units(catalogue, q=None, province="24", limit=200))
    assert len(communes) == 99
    # Former Bắc Giang units keep their 07xxx codes, former Bắc Ninh units their 09xxx codes.
    assert {code[:2] for code in communes} == {"07", "09"}
    assert "Phường Kinh Bắc" in {unit.name for unit in search_units(catalogue, q="kinh bac")}


@pytest.mark.parametrize(
    ("code", "name", "short_name", "name_en", "unit_type", "search_key"),
    [
        ("01", "Thành phố Hà Nội", "Hà Nội", "Ha Noi City", "Thành phố", "ha noi"),
        ("24", "Tỉnh Bắc Ninh", "Bắc Ninh", "Bac Ninh Province", "Tỉnh", "bac ninh"),
        ("07210", "Phường Bắc Giang", "Bắc Giang", "Bac Giang Ward", "Phường", "bac giang"),
        ("02008", "Xã Cẩm Giàng", "Cẩm Giàng", "Cam Giang Commune", "Xã", "cam giang"),
        ("06994", "Đặc khu Vân Đồn", "Vân Đồn", "Van Don Special Zone", "Đặc khu", "van don"),
        # The package's wardType says "Xã" here; the name (and the law) say "Phường".
        ("10543", "Phường Việt Hòa", "Việt Hòa", "Viet Hoa Ward", "Phường", "viet hoa"),
        ("24184", "Xã Ea H'Leo", "Ea H'Leo", "Ea H'Leo Commune", "Xã", "ea hleo"),
    ],
)
def test_names_are_proper_vietnamese(
    catalogue: Session,
    code: str,
    name: str,
    short_name: str,
    name_en: str,
    unit_type: str,
    search_key: str,
) -> None:
    unit = get_unit(catalogue, code)
    assert (unit.name, unit.short_name, unit.name_en, unit.unit_type) == (
        name,
        short_name,
        name_en,
        unit_type,
    )
    assert catalogue.scalar(select(AdminUnit.search_key).where(AdminUnit.code == code)) == (
        search_key
    )


def test_every_name_is_its_type_and_short_name(catalogue: Session) -> None:
    rows = catalogue.execute(select(AdminUnit.name, AdminUnit.unit_type, AdminUnit.short_name))
    assert all(name == f"{unit_type} {short}" for name, unit_type, short in rows)


# --- search ------------------------------------------------------------------------------

CAM_GIANG = {"10888"}  # Xã Cẩm Giang, Hải Phòng
CAM_GIANG_GRAVE = {"02008", "10903"}  # Xã Cẩm Giàng in Thái Nguyên and in Hải Phòng


def test_search_folds_diacritics(catalogue: Session) -> None:
    found = codes(search_units(catalogue, q="cam giang", limit=3))
    assert set(found) == CAM_GIANG | CAM_GIANG_GRAVE


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("Cẩm Giàng", CAM_GIANG_GRAVE),
        ("cẩm giàng", CAM_GIANG_GRAVE),
        ("Xã Cẩm Giàng", CAM_GIANG_GRAVE),
        ("Cẩm Giang", CAM_GIANG),
    ],
)
def test_search_ranks_the_exact_accented_name_first(
    catalogue: Session, q: str, first: set[str]
) -> None:
    found = codes(search_units(catalogue, q=q, limit=3))
    assert set(found[: len(first)]) == first
    assert set(found) == CAM_GIANG | CAM_GIANG_GRAVE


@pytest.mark.parametrize(
    ("q", "code"),
    [
        ("bac giang", BAC_GIANG_WARD),
        ("Phường Bắc Giang", BAC_GIANG_WARD),
        ("phuong bac giang", BAC_GIANG_WARD),
        ("BẮC GIANG", BAC_GIANG_WARD),
        ("hanoi", "01"),
        ("tp ho chi minh", "79"),
        ("thanh hoa", "38"),  # the province first, then the communes of the same name
        ("Thanh Hoá", "38"),  # the other tone-mark placement is the same name
        ("bac gian", BAC_GIANG_WARD),  # prefix
        ("bac giangg", BAC_GIANG_WARD),  # typo: trigram similarity
    ],
)
def test_search_finds_the_best_match_first(catalogue: Session, q: str, code: str) -> None:
    assert codes(search_units(catalogue, q=q, limit=5))[0] == code


def test_search_filters_by_province_and_level(catalogue: Session) -> None:
    in_hai_phong = search_units(catalogue, q="cam giang", province="31")
    assert set(codes(in_hai_phong)[:2]) == {"10888", "10903"}
    assert {unit.parent_code for unit in in_hai_phong} == {"31"}

    provinces = search_units(catalogue, q=None, level="province", limit=200)
    assert len(provinces) == 34
    assert codes(provinces) == sorted(codes(provinces))
    found = search_units(catalogue, q="bac ninh", level="province")
    assert codes(found)[0] == "24"
    assert {unit.level for unit in found} == {"province"}


def test_search_pages_with_after(catalogue: Session) -> None:
    whole = codes(search_units(catalogue, q="giang", limit=40))
    pages: list[str] = []
    after = None
    while page := codes(search_units(catalogue, q="giang", limit=7, after=after)):
        pages += page
        after = page[-1]
        if len(pages) >= 40:
            break
    assert pages[:40] == whole

    first = codes(search_units(catalogue, q=None, province="24", limit=10))
    second = codes(search_units(catalogue, q=None, province="24", limit=10, after=first[-1]))
    assert first + second == sorted(first + second)
    assert len(set(first + second)) == 20


def test_search_without_a_match_is_empty(catalogue: Session) -> None:
    assert search_units(catalogue, q="zzqqxx") == []
    assert search_units(catalogue, q="cam giang", after="00000") == []


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"level": "district"}, "level"),
        ({"province": "240"}, "province"),
        ({"limit": 0}, "limit"),
        ({"limit": 10_000}, "limit"),
    ],
)
def test_search_rejects_bad_arguments(
    catalogue: Session, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        search_units(catalogue, q="giang", **arguments)
    assert field in raised.value.errors


def test_get_unit_not_found(catalogue: Session) -> None:
    with pytest.raises(NotFound):
        get_unit(catalogue, "99999")


# --- boundaries --------------------------------------------------------------------------


def test_load_boundaries(catalogue: Session, boundary_file: Path) -> None:
    stats = load_boundaries(catalogue, boundary_file)

    assert (stats.provinces, stats.communes) == (0, 1)
    assert stats.unknown_codes == ("99999",)
    assert stats.skipped == 1
    assert stats.source == "test_communes.geojson"
    assert stats.version == hashlib.sha256(boundary_file.read_bytes()).hexdigest()[:12]
    srid, kind, covers = catalogue.execute(
        select(
            func.ST_SRID(AdminUnit.boundary),
            func.GeometryType(AdminUnit.boundary),
            func.ST_Covers(AdminUnit.boundary, AdminUnit.ref_point),
        ).where(AdminUnit.code == BAC_GIANG_WARD)
    ).one()
    assert (srid, kind, covers) == (4326, "MULTIPOLYGON", True)

    unit = get_unit(catalogue, BAC_GIANG_WARD, with_boundary=True)
    assert unit.boundary_geojson is not None
    assert unit.boundary_geojson["type"] == "MultiPolygon"
    assert unit.boundary_geojson["coordinates"] == [SQUARE]
    assert (unit.boundary_source, unit.boundary_version) == (stats.source, stats.version)
    assert get_unit(catalogue, BAC_GIANG_WARD).boundary_geojson is None
    assert has_boundary(catalogue, BAC_GIANG_WARD)
    assert not has_boundary(catalogue, "07228")


def test_commune_and_province_at_a_point(catalogue: Session, boundary_file: Path) -> None:
    assert commune_at(catalogue, INSIDE) is None
    load_boundaries(catalogue, boundary_file)

    commune = commune_at(catalogue, INSIDE)
    assert commune is not None
    assert commune.code == BAC_GIANG_WARD
    assert commune_at(catalogue, Point(106.20, 21.28)) == commune  # on the edge: covered
    assert commune_at(catalogue, OUTSIDE) is None
    # Without province boundaries, the province comes from the commune.
    province = province_at(catalogue, INSIDE)
    assert province is not None
    assert province.code == "24"
    assert province_at(catalogue, OUTSIDE) is None


def test_province_boundaries_answer_province_at(catalogue: Session, tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "provinces.geojson.gz",
        [feature({"provinceCode": 1}, _polygon(SQUARE))],
        version="2025.07",
    )
    stats = load_boundaries(catalogue, path, source="test provinces")

    assert (stats.provinces, stats.communes, stats.version) == (1, 0, "2025.07")
    province = province_at(catalogue, INSIDE)
    assert province is not None
    assert (province.code, province.boundary_source) == ("01", "test provinces")
    assert commune_at(catalogue, INSIDE) is None


def test_load_boundaries_gzip_numeric_codes_and_repairs(catalogue: Session, tmp_path: Path) -> None:
    bow_tie = [[[106.0, 21.0], [106.1, 21.1], [106.1, 21.0], [106.0, 21.1], [106.0, 21.0]]]
    path = write_geojson(
        tmp_path / "communes.geojson.gz",
        [
            feature({"maXa": 7210}, {"type": "MultiPolygon", "coordinates": [SQUARE]}),
            feature({"wardCode": "7228"}, _polygon(bow_tie)),
            feature({"name": "no code"}, _polygon(SQUARE)),
        ],
    )

    stats = load_boundaries(catalogue, path, version="v1")

    assert (stats.communes, stats.repaired, stats.skipped) == (2, 1, 1)
    assert stats.version == "v1"
    assert has_boundary(catalogue, "07228")
    valid = catalogue.scalar(
        text("SELECT bool_and(ST_IsValid(boundary)) FROM admin_units WHERE boundary IS NOT NULL")
    )
    assert valid is True


@pytest.mark.parametrize(
    "content",
    [
        b"this is not json",
        b"\x1f\x8b not really gzip",
        b'{"type": "Topology", "objects": {}}',
        b"[1, 2, 3]",
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "EPSG:3405"}},
                "features": [],
            }
        ).encode(),
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    feature(
                        {"code": "07210"},
                        _polygon(
                            [
                                [
                                    [580000, 2350000],
                                    [590000, 2350000],
                                    [590000, 2360000],
                                    [580000, 2350000],
                                ]
                            ]
                        ),
                    )
                ],
            }
        ).encode(),
    ],
)
def test_load_boundaries_rejects_what_is_not_geojson_in_wgs84(
    catalogue: Session, tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as raised:
        load_boundaries(catalogue, path)
    assert "bad.geojson" in raised.value.detail
    assert "file" in raised.value.errors


def test_load_boundaries_reports_a_missing_file(catalogue: Session, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        load_boundaries(catalogue, tmp_path / "missing.geojson")

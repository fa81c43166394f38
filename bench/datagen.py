"""A realistic household list for the benchmark: Vietnamese names and addresses, clustered points.

Points are spread over commune polygons when a boundary file is given (villages clustered
inside each commune, households in proportion to the commune's area), else over a province's
box (each point belongs to the nearest commune reference point). A small, known share of rows
is deliberately bad, so the import's error path is exercised and its answer can be checked:
exactly those rows must be rejected.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray

HEADER = (
    "lat",
    "lon",
    "accuracy_m",
    "source",
    "commune_code",
    "house_number",
    "alley",
    "street",
    "hamlet",
    "head_name",
    "citizen_id",
    "phone",
    "members",
)
FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Vũ",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đào",
    "Đinh",
    "Mai",
    "Trịnh",
)
FAMILY_WEIGHTS = (38, 11, 9.5, 7, 4.5, 1.5, 4.5, 2, 2, 2, 2, 1.5, 1.5, 1.5, 1, 0.5, 1, 1, 0.5, 1)
MIDDLE = (
    "Văn",
    "Thị",
    "Đức",
    "Minh",
    "Quang",
    "Hữu",
    "Ngọc",
    "Thanh",
    "Xuân",
    "Thu",
    "Công",
    "Kim",
    "Bảo",
    "Gia",
)
GIVEN = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hà",
    "Hải",
    "Hằng",
    "Hoa",
    "Hùng",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Nam",
    "Nga",
    "Ngọc",
    "Phong",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Thắng",
    "Trang",
    "Tuấn",
    "Vân",
    "Việt",
    "Yến",
    "Đạt",
    "Giang",
    "Huệ",
)
STREETS = (
    "Lý Thái Tổ",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Lê Lợi",
    "Ngô Gia Tự",
    "Hoàng Hoa Thám",
    "Nguyễn Văn Cừ",
    "Trần Phú",
    "Lý Thường Kiệt",
    "Hai Bà Trưng",
    "Kinh Dương Vương",
    "Nguyễn Đăng Đạo",
    "Thiên Đức",
    "Hàn Thuyên",
    "Lê Thánh Tông",
    "Xương Giang",
)
HAMLETS = (
    "Thôn Đông",
    "Thôn Đoài",
    "Thôn Trung",
    "Thôn Thượng",
    "Thôn Hạ",
    "Xóm Mới",
    "Tổ dân phố 1",
    "Tổ dân phố 2",
    "Tổ dân phố 3",
    "Tổ dân phố 5",
    "Thôn Phù Lưu",
    "Thôn Đình Bảng",
    "Khu phố Tiền",
    "Thôn Cẩm Giàng",
    "Thôn Yên Lã",
)
#: Share of rows made bad on purpose (each one breaks exactly one rule).
BAD_SHARE = 0.002
VILLAGE_SPREAD_DEG = 0.0025  # about 270 m


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune to spread households over."""

    code: str
    weight: float
    geometry: shapely.Geometry | None = None
    centre: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class Dataset:
    """What was generated."""

    path: Path
    rows: int
    bad_rows: int
    communes: int


def communes_from_boundaries(path: Path) -> list[Commune]:
    """Communes (code, area weight, polygon) from a GeoJSON boundary file (.geojson[.gz])."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as text:
        features = json.load(text)["features"]
    communes = []
    for feature in features:
        code = str(feature["properties"].get("code", "")).zfill(5)
        geometry = shapely.geometry.shape(feature["geometry"])
        if len(code) == 5 and not geometry.is_empty:
            communes.append(Commune(code, float(geometry.area), geometry))
    return communes


def spread_points(
    communes: Sequence[Commune], count: int, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    """``count`` points (lon, lat, commune index), clustered in villages within each commune."""
    weights = np.array([commune.weight for commune in communes], dtype=np.float64)
    per_commune = rng.multinomial(count, weights / weights.sum())
    lon = np.empty(count)
    lat = np.empty(count)
    owner = np.empty(count, dtype=np.intp)
    start = 0
    for index, (commune, wanted) in enumerate(zip(communes, per_commune, strict=True)):
        stop = start + int(wanted)
        if wanted and commune.geometry is not None:
            lon[start:stop], lat[start:stop] = _inside(commune.geometry, int(wanted), rng)
        owner[start:stop] = index
        start = stop
    return lon, lat, owner


def _inside(
    geometry: shapely.Geometry, count: int, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points inside ``geometry`` around a few village centres (rejection sampling)."""
    west, south, east, north = shapely.bounds(geometry).tolist()
    shapely.prepare(geometry)
    centres = _uniform_inside(geometry, max(count // 250, 3), rng, (west, south, east, north))
    picked_lon: list[NDArray[np.float64]] = []
    picked_lat: list[NDArray[np.float64]] = []
    found = 0
    while found < count:
        village = rng.integers(0, len(centres[0]), size=count)
        x = centres[0][village] + rng.normal(0, VILLAGE_SPREAD_DEG, count)
        y = centres[1][village] + rng.normal(0, VILLAGE_SPREAD_DEG, count)
        keep = shapely.contains_xy(geometry, x, y)
        picked_lon.append(x[keep])
        picked_lat.append(y[keep])
        found += int(keep.sum())
    return np.concatenate(picked_lon)[:count], np.concatenate(picked_lat)[:count]


def _uniform_inside(
    geometry: shapely.Geometry,
    count: int,
    rng: np.random.Generator,
    bounds: tuple[float, float, float, float],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    west, south, east, north = bounds
    xs: list[NDArray[np.float64]] = []
    ys: list[NDArray[np.float64]] = []
    found = 0
    while found < count:
        x = rng.uniform(west, east, count * 4)
        y = rng.uniform(south, north, count * 4)
        keep = shapely.contains_xy(geometry, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        found += int(keep.sum())
    return np.concatenate(xs)[:count], np.concatenate(ys)[:count]


def spread_in_box(
    communes: Sequence[Commune], count: int, rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp]]:
    """``count`` points over the box of the communes' centres, each in the nearest commune."""
    centres = np.array([commune.centre for commune in communes], dtype=np.float64)
    west, south = centres.min(axis=0) - 0.02
    east, north = centres.max(axis=0) + 0.02
    villages = np.column_stack(
        [
            rng.uniform(west, east, max(count // 250, 3)),
            rng.uniform(south, north, max(count // 250, 3)),
        ]
    )
    village = rng.integers(0, len(villages), size=count)
    lon = villages[village, 0] + rng.normal(0, VILLAGE_SPREAD_DEG, count)
    lat = villages[village, 1] + rng.normal(0, VILLAGE_SPREAD_DEG, count)
    owner = np.empty(count, dtype=np.intp)
    for start in range(0, count, 100_000):
        part = slice(start, start + 100_000)
        distance = (lon[part, None] - centres[None, :, 0]) ** 2 + (
            lat[part, None] - centres[None, :, 1]
        ) ** 2
        owner[part] = distance.argmin(axis=1)
    return lon, lat, owner


def write_households(
    path: Path,
    communes: Sequence[Commune],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    owner: NDArray[np.intp],
    rng: np.random.Generator,
) -> Dataset:
    """Write the CSV; house numbers are unique per commune, so no row is a duplicate."""
    count = len(lon)
    bad = np.flatnonzero(rng.random(count) < BAD_SHARE)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(_rows(communes, lon, lat, owner, set(bad.tolist()), rng))
    return Dataset(path, count, len(bad), len({int(i) for i in np.unique(owner)}))


def _rows(
    communes: Sequence[Commune],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    owner: NDArray[np.intp],
    bad: set[int],
    rng: np.random.Generator,
) -> Iterator[tuple[object, ...]]:
    count = len(lon)
    family = rng.choice(len(FAMILY), count, p=np.array(FAMILY_WEIGHTS) / sum(FAMILY_WEIGHTS))
    middle = rng.integers(0, len(MIDDLE), count)
    given = rng.integers(0, len(GIVEN), count)
    street = rng.integers(-len(STREETS), len(STREETS), count)  # negative: a village, no street
    hamlet = rng.integers(0, len(HAMLETS), count)
    alley = rng.integers(0, 12, count)
    accuracy = np.round(np.minimum(rng.gamma(2.0, 3.0, count) + 1, 25.0), 1)
    source = rng.choice(3, count, p=[0.9, 0.07, 0.03])
    members = rng.integers(1, 9, count)
    citizen = rng.integers(10**10, 10**11, count)
    phone = rng.integers(10**8, 10**9, count)
    number_in_commune = np.zeros(len(communes), dtype=np.int64)
    sources = ("gps", "map", "survey")
    for i in range(count):
        commune = int(owner[i])
        number_in_commune[commune] += 1
        alley_text = f"ngõ {alley[i] * 7 + 2}; ngách {alley[i] + 1}" if alley[i] < 3 else ""
        row: list[object] = [
            f"{lat[i]:.7f}",
            f"{lon[i]:.7f}",
            accuracy[i],
            sources[source[i]],
            communes[commune].code,
            str(number_in_commune[commune]),
            alley_text,
            STREETS[street[i]] if street[i] >= 0 else "",
            HAMLETS[hamlet[i]],
            f"{FAMILY[family[i]]} {MIDDLE[middle[i]]} {GIVEN[given[i]]}",
            f"0{citizen[i]}",
            f"09{phone[i]:08d}"[:10],
            members[i],
        ]
        if i in bad:
            _spoil(row, i)
        yield tuple(row)


def _spoil(row: list[object], i: int) -> None:
    """Break exactly one rule of the row."""
    match i % 4:
        case 0:
            row[10] = "12345"  # citizen id: not 12 digits
        case 1:
            row[9] = ""  # no head of household
        case 2:
            row[2] = 95.0  # GPS accuracy over the limit, not confirmed
        case _:
            row[12] = 0  # members below 1

"""The open data through clients nobody here wrote: GDAL's OGC API driver and OWSLib.

Each pages through every address of the test commune with a small page limit, following the
server's ``next`` links (cursors), and must end with exactly the database's addresses; bbox
and datetime filters must give exactly the database's subsets.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from owslib.ogcapi.features import Features
from sqlalchemy import Engine

from tests.opendata.conftest import COMMUNE, OTHER_COMMUNE, PROVINCE, Planted, Server, database_ids

PAGE = 5


def gdal(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a GDAL program; it must succeed."""
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603 -- GDAL
    assert done.returncode == 0, done.stderr
    return done


def ogr2ogr_ids(server: Server, out: Path, *options: str) -> tuple[list[str], list[str]]:
    """The ids ogr2ogr reads from the addresses collection, and the URLs it fetched."""
    done = gdal(
        "ogr2ogr",
        "--debug",
        "on",
        "-f",
        "GeoJSON",
        str(out),
        f"OAPIF:{server.url}",
        "addresses",
        "-oo",
        f"PAGE_SIZE={PAGE}",
        *options,
    )
    fetched = re.findall(r"HTTP: Fetch\((\S+)\)", done.stderr)
    features = json.loads(out.read_text())["features"]
    return [f["properties"]["id"] for f in features], fetched


def test_gdal_lists_both_collections_in_wgs84(server: Server) -> None:
    info = gdal("ogrinfo", "-ro", "-so", f"OAPIF:{server.url}").stdout
    assert "addresses" in info and "admin-units" in info
    layer = gdal("ogrinfo", "-ro", "-so", f"OAPIF:{server.url}", "addresses").stdout
    assert 'ID["EPSG",4326]' in layer
    assert "Geometry: Point" in layer
    for name in ("code", "display_code", "commune_code", "province_code", "updated_at"):
        assert re.search(rf"^{name}: ", layer, re.M), name


def test_gdal_pages_through_every_address_of_a_commune(
    server: Server, planted: Planted, owner_engine: Engine, tmp_path: Path
) -> None:
    ids, fetched = ogr2ogr_ids(
        server, tmp_path / "commune.geojson", "-where", f"commune_code = '{COMMUNE}'"
    )
    expected = database_ids(owner_engine, "commune_code = :c", c=COMMUNE)
    assert len(expected) == len(planted.codes[COMMUNE]) == 24
    assert sorted(ids) == sorted(expected)  # each once: no page repeats or skips one
    pages = [url for url in fetched if "/collections/addresses/items" in url and "cursor=" in url]
    assert len(pages) >= len(expected) // PAGE  # it followed the next links
    assert all(f"commune_code={COMMUNE}" in url for url in pages)
    assert not any("offset=" in url for url in fetched)


def test_gdal_bbox_gives_the_addresses_inside(
    server: Server, planted: Planted, owner_engine: Engine, tmp_path: Path
) -> None:
    west, south, east, north = planted.bbox
    ids, _ = ogr2ogr_ids(
        server, tmp_path / "box.geojson", "-spat", str(west), str(south), str(east), str(north)
    )
    expected = database_ids(
        owner_engine,
        "ST_Intersects(point, ST_MakeEnvelope(:w, :s, :e, :n, 4326))",
        w=west,
        s=south,
        e=east,
        n=north,
    )
    assert len(expected) == 3
    assert sorted(ids) == sorted(expected)


def owslib_ids(features: Features, **query: Any) -> tuple[list[str], int]:
    """Every id of the addresses matching ``query``, page by page, and the number of pages."""
    ids: list[str] = []
    pages = 0
    query = {"limit": PAGE, **query}
    while True:
        page = features.collection_items("addresses", **query)
        pages += 1
        ids += [feature["id"] for feature in page["features"]]
        following = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not following:
            return ids, pages
        (cursor,) = parse_qs(urlparse(following[0]).query)["cursor"]
        query = {**query, "cursor": cursor}


def test_owslib_reads_the_collections_with_their_licence(server: Server) -> None:
    features = Features(server.url)
    collections = {c["id"]: c for c in features.collections()["collections"]}
    assert set(collections) == {"addresses", "admin-units"}
    licences = [link for link in collections["addresses"]["links"] if link["rel"] == "license"]
    assert licences and licences[0]["href"] == "https://creativecommons.org/licenses/by/4.0/"
    queryables = features.collection_queryables("addresses")["properties"]
    assert {"commune_code", "province_code", "code"} <= set(queryables)


def test_owslib_pages_through_a_commune_and_a_province(
    server: Server, planted: Planted, owner_engine: Engine
) -> None:
    features = Features(server.url)
    ids, pages = owslib_ids(features, commune_code=COMMUNE)
    assert sorted(ids) == sorted(database_ids(owner_engine, "commune_code = :c", c=COMMUNE))
    assert pages == 5  # 24 addresses, 5 a page
    ids, _ = owslib_ids(features, province_code=PROVINCE)
    expected = database_ids(owner_engine, "province_code = :p", p=PROVINCE)
    assert sorted(ids) == sorted(expected)
    assert len(expected) == 30
    other, _ = owslib_ids(features, commune_code=OTHER_COMMUNE)
    assert sorted(other) == sorted(planted.codes[OTHER_COMMUNE])


def test_owslib_datetime_gives_what_changed_since(
    server: Server, planted: Planted, owner_engine: Engine
) -> None:
    since = planted.changed_after.isoformat().replace("+00:00", "Z")
    ids, _ = owslib_ids(Features(server.url), datetime_=f"{since}/..", province_code=PROVINCE)
    assert sorted(ids) == sorted(planted.corrected)
    assert sorted(ids) == sorted(
        database_ids(owner_engine, "updated_at >= :t", t=planted.changed_after)
    )
    before, _ = owslib_ids(Features(server.url), datetime_=f"../{since}", province_code=PROVINCE)
    assert set(before).isdisjoint(ids) and len(before) + len(ids) == 30


def test_owslib_bbox(server: Server, planted: Planted) -> None:
    ids, _ = owslib_ids(Features(server.url), bbox=list(planted.bbox))
    assert sorted(ids) == sorted(planted.codes[COMMUNE][:3])

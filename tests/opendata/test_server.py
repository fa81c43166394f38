"""The open-data server over HTTP: landing page, paging by cursor, refusals, items by id."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest

from opendata import encode_cursor
from tests.opendata.conftest import COMMUNE, Planted, Server


def items(server: Server, collection: str = "addresses", **query: Any) -> Any:
    """The items page of ``query``."""
    return server.json(f"/collections/{collection}/items?{urlencode(query)}")


def next_href(page: Any) -> str | None:
    """The page's next link, if any."""
    return next((link["href"] for link in page["links"] if link["rel"] == "next"), None)


def test_the_landing_page_names_the_data_and_its_licence(server: Server) -> None:
    landing = server.json("/?f=json")
    assert landing["title"] == "Dữ liệu mở địa chỉ số"
    assert "service-desc" in {link["rel"] for link in landing["links"]}
    english = server.json("/collections/addresses?f=json&lang=en")
    assert english["title"] == "Digital addresses"
    _, _, html = server.get("/?f=html", accept="text/html")
    assert b"creativecommons.org/licenses/by/4.0/" in html


def test_a_page_links_the_next_by_cursor_never_by_offset(server: Server, planted: Planted) -> None:
    page = items(server, commune_code=COMMUNE, limit=10)
    assert page["numberReturned"] == 10
    assert page["numberMatched"] == 24  # one commune: counted cheaply
    link = next_href(page)
    assert link is not None and "offset" not in link
    query = parse_qs(urlparse(link).query)
    assert query["commune_code"] == [COMMUNE] and query["limit"] == ["10"]
    seen = [f["id"] for f in page["features"]]
    while link:
        page = json.loads(server.get(link.removeprefix(server.url))[2])
        seen += [f["id"] for f in page["features"]]
        link = next_href(page)
    assert sorted(seen) == sorted(planted.codes[COMMUNE])
    assert "numberMatched" not in page  # the last page: pygeoapi would add an offset link


def test_a_full_last_page_links_to_an_empty_one(server: Server) -> None:
    page = items(server, commune_code=COMMUNE, limit=24)
    assert page["numberReturned"] == 24
    link = next_href(page)
    assert link is not None
    after = json.loads(server.get(link.removeprefix(server.url))[2])
    assert after["features"] == [] and next_href(after) is None


def test_a_province_page_is_not_counted(server: Server, planted: Planted) -> None:
    page = items(server, province_code="12", limit=5)
    assert "numberMatched" not in page and page["numberReturned"] == 5


def test_features_are_public_facts_in_key_order(server: Server, planted: Planted) -> None:
    page = items(server, commune_code=COMMUNE, limit=100)
    features = page["features"]
    keys = [(f["properties"]["code"], f["properties"]["unit"] or "") for f in features]
    assert keys == sorted(keys)
    first = features[0]
    assert first["geometry"]["type"] == "Point"
    assert set(first["properties"]) == {
        "code", "unit", "display_code", "status", "successor_code", "house_number", "alley",
        "street", "hamlet", "postcode", "commune_code", "commune_name", "commune_name_en",
        "province_code", "province_name", "province_name_en", "updated_at",
    }  # fmt: skip
    by_id = {f["id"]: f["properties"] for f in features}
    retired = by_id[planted.retired]
    assert retired["status"] == "retired" and retired["successor_code"]
    unit = by_id[planted.unit_id]
    code, label = planted.unit_id.split("/")
    assert (unit["code"], unit["unit"]) == (code, label)
    assert unit["display_code"].endswith("/12A") and "+" in unit["display_code"]
    assert by_id[planted.codes[COMMUNE][0]]["alley"] == "ngõ 3"
    assert first["properties"]["commune_name"] == "Xã Bình Lư"
    assert first["properties"]["province_name"] == "Tỉnh Lai Châu"


def test_an_item_by_id_with_its_neighbours(server: Server, planted: Planted) -> None:
    unit = server.json(f"/collections/addresses/items/{planted.unit_id}?f=json")
    assert unit["id"] == planted.unit_id and unit["properties"]["unit"] == "12A"
    rels = {link["rel"] for link in unit["links"]}
    assert {"prev", "next"} <= rels
    plain = server.json(f"/collections/addresses/items/{planted.codes[COMMUNE][0]}?f=json")
    assert plain["properties"]["unit"] is None
    status, _, _ = server.get("/collections/addresses/items/7PH875FV6R2W?f=json")
    assert status == 404


def test_admin_units_carry_names_and_their_province(server: Server) -> None:
    page = items(server, "admin-units", province_code="12", limit=100)
    assert page["numberMatched"] == page["numberReturned"] == 39  # Lai Châu and its communes
    by_code = {f["id"]: f["properties"] for f in page["features"]}
    assert by_code["12"]["level"] == "province" and by_code["12"]["province_code"] == "12"
    assert by_code[COMMUNE]["name"] == "Xã Bình Lư" and by_code[COMMUNE]["parent_code"] == "12"
    assert by_code[COMMUNE]["name_en"]


def test_the_openapi_document_offers_the_cursor_and_the_limit(server: Server) -> None:
    document = server.json("/openapi?f=json")
    parameters = document["paths"]["/collections/addresses/items"]["get"]["parameters"]
    names = {p.get("name") or p["$ref"].rsplit("/", 1)[-1] for p in parameters}
    assert {"cursor", "limit", "bbox", "commune_code", "province_code"} <= names
    assert "offset" not in names and not any("sortby" in name for name in names)
    (limit,) = [p for p in parameters if p.get("name") == "limit"]
    assert limit["schema"]["maximum"] == 10_000
    big = items(server, province_code="12", limit=10_000)
    assert big["numberReturned"] == 30


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"offset": 10}, "offset is not offered"),
        ({"sortby": "code"}, "sortby is not offered"),
        ({"filter": "code = 'X'"}, "filter (CQL) is not offered"),
        ({"q": "Bình Lư"}, "q (free text)"),
        ({"street": "Đường Bình Lư"}, "'street' is not a query parameter"),
        ({"cursor": "not a cursor"}, "cursor is not one this server gave"),
        ({"cursor": encode_cursor(["12"])}, "cursor is not one this server gave"),
        ({"datetime": "yesterday"}, "Unknown string format"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"limit": 0}, "limit"),
    ],
)
def test_queries_that_would_scan_or_are_wrong_are_400(
    server: Server, query: dict[str, Any], says: str
) -> None:
    status, content_type, body = server.get(f"/collections/addresses/items?{urlencode(query)}")
    assert status == 400, body[:300]
    assert "json" in content_type
    assert says in json.loads(body)["description"]


def test_datetime_on_admin_units_is_400(server: Server) -> None:
    status, _, body = server.get("/collections/admin-units/items?datetime=2026-01-01/..")
    assert status == 400 and b"no time" in body


def test_writes_are_refused(server: Server, planted: Planted) -> None:
    url = f"{server.url}/collections/addresses/items/{planted.codes[COMMUNE][0]}"
    request = urllib.request.Request(url, method="DELETE")  # noqa: S310 -- our server's http URL
    try:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 -- our server
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 400


def test_epsg_4326_gives_latitude_first(server: Server, planted: Planted) -> None:
    query: dict[str, Any] = {"commune_code": COMMUNE, "limit": 1}
    plain = items(server, **query)["features"][0]["geometry"]["coordinates"]
    status, _, body = server.get(
        "/collections/addresses/items?"
        + urlencode({**query, "crs": "http://www.opengis.net/def/crs/EPSG/0/4326"})
    )
    assert status == 200
    page = json.loads(body)
    swapped = page["features"][0]["geometry"]["coordinates"]
    assert swapped == [plain[1], plain[0]]
    link = next_href(page)
    assert link is not None
    assert parse_qs(urlparse(link).query)["crs"] == ["http://www.opengis.net/def/crs/EPSG/0/4326"]

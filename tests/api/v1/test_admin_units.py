"""Province and commune read endpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient, FlaskCliRunner


def test_search_without_diacritics_ranks_exact_accents_first(client: FlaskClient) -> None:
    response = client.get("/v1/admin-units?q=cam giang")
    assert response.status_code == 200
    names = [unit["name"] for unit in response.json["items"]]  # type: ignore[index]
    assert "Phường Cẩm Giang" in names or "Xã Cẩm Giang" in names
    accented = client.get("/v1/admin-units?q=Cẩm Giàng").json["items"]  # type: ignore[index]
    assert accented[0]["short_name"] == "Cẩm Giàng"


def test_province_filter_and_paging(client: FlaskClient) -> None:
    first = client.get("/v1/admin-units?province=24&limit=60").json
    assert first is not None
    assert len(first["items"]) == 60
    assert all(unit["parent_code"] == "24" for unit in first["items"])
    second = client.get(first["next"]).json
    assert second is not None
    assert len(second["items"]) == 39  # Bắc Ninh has 99 communes
    assert second["next"] is None
    codes = [unit["code"] for unit in first["items"] + second["items"]]
    assert len(set(codes)) == 99


@pytest.mark.as_owner  # loading boundaries is the owner's work
def test_unit_feature_without_and_with_boundary(
    client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    feature = client.get("/v1/admin-units/07210").json
    assert feature is not None
    assert feature["type"] == "Feature"
    assert feature["geometry"] is None
    assert feature["properties"]["name"] == "Phường Bắc Giang"
    assert feature["properties"]["parent_name"] == "Tỉnh Bắc Ninh"
    square = [[[106.19, 21.27], [106.23, 21.27], [106.23, 21.30], [106.19, 21.30], [106.19, 21.27]]]
    path = tmp_path / "bounds.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "07210"},
                        "geometry": {"type": "Polygon", "coordinates": square},
                    },
                ],
            }
        )
    )
    result = runner.invoke(args=["admin-units", "load", "--boundaries", str(path)])
    assert result.exit_code == 0, result.output
    loaded = client.get("/v1/admin-units/07210").json
    assert loaded is not None
    assert loaded["geometry"]["type"] == "MultiPolygon"
    assert loaded["properties"]["boundary_source"] == "bounds.geojson"


def test_unknown_unit_is_404(client: FlaskClient) -> None:
    response = client.get("/v1/admin-units/99999")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_bad_filter_is_422(client: FlaskClient) -> None:
    response = client.get("/v1/admin-units?province=abc&limit=0")
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"province", "limit"}  # type: ignore[index]

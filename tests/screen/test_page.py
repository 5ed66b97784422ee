"""The /screen/ page itself: who may open it, and what it hands the script."""

import json
import re

import pytest

from tests.conftest import offsite_assets

pytestmark = pytest.mark.django_db


def script_json(html: str, element_id: str) -> dict:
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, element_id
    return json.loads(match.group(1))


def test_the_screen_needs_a_login(client):
    response = client.get("/screen/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_page_hands_the_script_its_configuration(client, world, settings):
    settings.MAP_TILES_URL = "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"
    settings.MAP_TILES_CRS = "gcj02"
    client.force_login(world.dispatcher)
    response = client.get("/screen/")
    assert response.status_code == 200
    html = response.content.decode()
    config = script_json(html, "screen-config")
    assert config["snapshot_url"] == "/api/v1/screen/snapshot"
    assert config["socket_path"] == "/ws/screen/"
    assert config["tiles_crs"] == "gcj02"
    assert config["tiles_url"].startswith("https://webrd01")
    assert config["grid"] is None
    for asset in ("vendor/echarts/echarts.min.js", "vendor/markercluster/leaflet.markercluster.js", "js/screen.js",
                  "css/screen.css", "leaflet/leaflet.js"):  # fmt: skip
        assert asset in html  # served from here: no CDN at run time
    assert offsite_assets(html) == []


def test_the_page_speaks_simplified_chinese_by_default(client, world):
    client.force_login(world.dispatcher)
    html = client.get("/screen/").content.decode()
    labels = script_json(html, "screen-labels")
    assert "综合指挥中心" in html
    assert labels["events"]["alarm.raised"] == "告警触发"
    assert labels["states"]["overdue"] == "超期"
    assert labels["case_statuses"]["dispatched"] == "已派遣"  # events carry the code only
    english = client.get("/screen/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert script_json(english, "screen-labels")["events"]["alarm.raised"] == "Alarm raised"


def test_a_per_grid_screen_names_its_grid(client, world):
    grid = world.street_grids[1]
    client.force_login(world.official)
    response = client.get(f"/screen/?grid={grid.pk}")
    assert response.status_code == 200
    assert script_json(response.content.decode(), "screen-config")["grid"] == grid.pk
    assert grid.name in response.content.decode()


def test_screens_outside_the_scope_are_refused(client, world):
    client.force_login(world.handler)
    assert client.get("/screen/").status_code == 403
    client.force_login(world.official)
    assert client.get(f"/screen/?grid={world.other_grid.pk}").status_code == 403
    response = client.get("/screen/?grid=x1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert b"grid must be a grid id" in response.content

"""The base map drawn when no tile server answers: the street's roads (what lies between compounds),
compounds and building footprints from /api/v1/screen/basemap, under the grids of the wall screen and
the console's case map, at once without MAP_TILES_URL and after the tiles fail with one."""

import pytest
from django.conf import settings
from shapely.geometry import Point, shape

from cases.models import Case
from grids.models import Building
from tests.factories import PASSWORD
from tests.screen.conftest import make_case
from tests.screen.district import CHROMIUM_ARGS, Daphne, logged_in_page


@pytest.mark.django_db
def test_the_basemap_has_the_streets_roads_compounds_and_buildings(api_client, world) -> None:  # type: ignore[no-untyped-def]
    compound = world.compounds[0]
    Building.objects.create(compound=compound, name="1号楼", lat=compound.centre_lat, lng=compound.centre_lng)
    assert api_client.get("/api/v1/screen/basemap").status_code in (401, 403)  # logged-in users only
    api_client.force_authenticate(world.worker)
    features = api_client.get("/api/v1/screen/basemap").json()["features"]
    layers = {f["properties"]["layer"] for f in features}
    assert layers == {"area", "roads", "compound", "building"}
    [roads] = [shape(f["geometry"]) for f in features if f["properties"]["layer"] == "roads"]
    [area] = [shape(f["geometry"]) for f in features if f["properties"]["layer"] == "area"]
    inside = Point(compound.centre_lng, compound.centre_lat)
    assert area.contains(inside)
    assert not roads.contains(inside)
    assert roads.area > 0
    assert roads.area < area.area
    names = {f["properties"]["name"] for f in features if f["properties"]["layer"] == "compound"}
    assert compound.name in names
    [building] = [shape(f["geometry"]) for f in features if f["properties"]["layer"] == "building"]
    assert building.contains(inside)
    assert building.area < shape(compound.boundary).area


@pytest.mark.browser
@pytest.mark.integration
@pytest.mark.timeout(300)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("tiles", ["", "http://127.0.0.1:9/{z}/{x}/{y}.png"], ids=["no-tiles", "tiles-down"])
def test_without_tiles_the_maps_draw_the_street_under_the_grids(world, tmp_path, tiles) -> None:  # type: ignore[no-untyped-def]
    if not settings.REDIS_URL:
        pytest.skip("daphne's socket needs the Redis channel layer")
    from playwright.sync_api import sync_playwright

    case = make_case(world.street_grids[0], status=Case.Status.FILED)
    with Daphne(tmp_path, MAP_TILES_URL=tiles) as daphne, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        screen = logged_in_page(browser, daphne.url, "dispatcher", "/screen/", PASSWORD)
        screen.wait_for_function("() => DCC.base.vector && DCC.base.features > 0", timeout=10_000)
        assert screen.evaluate("DCC.base.tiles") == ("none" if not tiles else "failed")
        assert screen.locator("#map .leaflet-basemap-pane canvas").count() == 1
        assert screen.evaluate("document.getElementById('map').classList.contains('no-tiles')")

        console = logged_in_page(browser, daphne.url, "dispatcher", f"/console/?case={case.pk}", PASSWORD)
        console.wait_for_selector("#case-map .leaflet-basemap-pane canvas", timeout=10_000)
        assert not console.errors
        assert not screen.errors
        browser.close()

"""CSV import (all or nothing, line number and reason per bad row) and export of sensor points."""

import io

import pytest
from django.utils import translation

from devices.models import SensorPoint
from devices.registry import ImportFailed, export_points_csv, import_points_csv
from tests.devices.factories import SensorPointFactory, scene
from tests.factories import CompoundFactory, GridFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):  # the reasons are asserted in English
        yield


@pytest.fixture
def scenes():
    scene("smoke")


def csv_text(*lines: str) -> io.StringIO:
    return io.StringIO("\n".join(lines) + "\n")


def test_import_assigns_grid_and_compound_from_the_location(scenes):
    inside = CompoundFactory()
    grid_only = GridFactory()
    corner = grid_only.boundary["coordinates"][0][0]
    count = import_points_csv(
        csv_text(
            "code,type,lat,lng,installed_on,heartbeat_interval",
            f"CSV-1,smoke,{inside.centre_lat},{inside.centre_lng},2026-03-01,600",
            f"CSV-2,smoke,{corner[1] + 0.0001},{corner[0] + 0.0001},,",
            "CSV-3,smoke,30.0,120.0,,",
        )
    )
    assert count == 3
    points = {p.code: p for p in SensorPoint.objects.all()}
    assert (points["CSV-1"].compound_id, points["CSV-1"].grid_id) == (inside.id, inside.grid_id)
    assert (points["CSV-1"].heartbeat_interval, str(points["CSV-1"].installed_on)) == (600, "2026-03-01")
    assert (points["CSV-2"].compound_id, points["CSV-2"].grid_id) == (None, grid_only.id)
    assert (points["CSV-3"].compound_id, points["CSV-3"].grid_id) == (None, None)
    assert all(not p.has_credentials for p in points.values())


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_imported(scenes):
    scene("fire-lane")
    SensorPointFactory(code="TAKEN")
    text = csv_text(
        "code,type,scene,lat,lng,compound,status,threshold,acoustic_zone",
        "OK-1,smoke,,31.27,121.48,,,,",
        "bad code,smoke,,31.27,121.48,,,,",
        "OK-2,radiation,,31.27,121.48,,,,",
        "OK-3,smoke,,north,121.48,,,,",
        "OK-4,smoke,,95,121.48,,,,",
        "TAKEN,smoke,,31.27,121.48,,,,",
        "OK-1,smoke,,31.27,121.48,,,,",
        "OK-5,geomagnetic,,31.27,121.48,,,,",
        "OK-6,smoke,,31.27,121.48,NO-SUCH,,,",
        "OK-7,smoke,,31.27,121.48,,broken,,",
        "OK-8,smoke,,31.27,121.48,,,high,",
        "OK-9,smoke,,31.27,121.48,,,,7",
        "OK-10,smoke,,31.27,121.48,,,,,extra",
    )
    with pytest.raises(ImportFailed) as failed:
        import_points_csv(text)
    lines = {error.line: error.reason for error in failed.value.errors}
    assert sorted(lines) == list(range(3, 15))
    assert "code" in lines[3]
    assert "radiation" in lines[4]
    assert "number" in lines[5]
    assert "-90..90" in lines[6]
    assert "already registered" in lines[7]
    assert "repeats line 2" in lines[8]
    assert "fire-lane" in lines[9]
    assert "NO-SUCH" in lines[10]
    assert "status" in lines[11]
    assert "threshold" in lines[12]
    assert "acoustic_zone" in lines[13]
    assert "more cells" in lines[14]
    assert list(SensorPoint.objects.values_list("code", flat=True)) == ["TAKEN"]


@pytest.mark.parametrize(
    ("header", "message"),
    [("code,type,lat", "missing columns: lng"), ("code,type,lat,lng,colour", "unknown columns: colour")],
)
def test_bad_headers(scenes, header, message):
    with pytest.raises(ImportFailed) as failed:
        import_points_csv(csv_text(header, "A,smoke,31,121"))
    assert failed.value.errors[0].line == 1
    assert message in failed.value.errors[0].reason


def test_export_then_import_round_trips(scenes):
    compound = CompoundFactory()
    SensorPointFactory(
        code="RT-1", place=compound, threshold=0.12, acoustic_zone="2", scene=scene("hydrant-pressure")
    )
    SensorPointFactory(code="RT-2", place=compound)
    exported = "".join(export_points_csv(SensorPoint.objects.select_related("scene", "grid", "compound")))
    before = list(SensorPoint.objects.order_by("code").values("code", "scene", "lat", "lng", "grid", "compound",
                                                               "threshold", "acoustic_zone", "heartbeat_interval"))  # fmt: skip
    SensorPoint.objects.all().delete()
    assert import_points_csv(io.StringIO(exported)) == 2
    after = list(SensorPoint.objects.order_by("code").values("code", "scene", "lat", "lng", "grid", "compound",
                                                              "threshold", "acoustic_zone", "heartbeat_interval"))  # fmt: skip
    assert after == before


def test_points_near_a_building_of_their_compound_are_placed_in_it(scenes):
    from tests.factories import BuildingFactory

    compound = CompoundFactory()
    building = BuildingFactory(compound=compound)
    lat, lng = building.lat, building.lng
    import_points_csv(
        csv_text(
            "code,type,lat,lng",
            f"NEAR,smoke,{lat + 0.0002},{lng}",  # about 22 m north
            f"FAR,smoke,{lat + 0.0006},{lng}",  # about 66 m north, still inside the compound
        )
    )
    near, far = SensorPoint.objects.get(code="NEAR"), SensorPoint.objects.get(code="FAR")
    assert (near.compound_id, near.building_id) == (compound.id, building.id)
    assert (far.compound_id, far.building_id) == (compound.id, None)

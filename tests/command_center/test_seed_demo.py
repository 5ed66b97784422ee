"""seed_demo: the demo street is complete, lies where it should, and seeding is deterministic and idempotent."""

import hashlib
import importlib.util
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from accounts.models import Department, User
from cases.models import Case
from demo import plan, street
from demo import seed as demo_seed
from devices.models import Scene, SensorPoint
from grids.models import Building, Community, Compound, District, DutyShift, Grid, Street
from grids.selectors import on_duty
from people.models import Shop, Visit
from residents.models import MediationOrder, ResidentReport
from tests.factories import GridFactory

pytestmark = pytest.mark.django_db

KM2_PER_DEG2 = street.KM_PER_DEG_LAT * street.KM_PER_DEG_LNG


def seed(*args: str) -> str:
    out = StringIO()
    with translation.override("en"):
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def digest() -> str:
    """Codes and coordinates of everything located, independent of row ids."""
    rows = {
        "grids": list(Grid.objects.order_by("code").values_list("code", "name", "boundary", "centre_lat")),
        "compounds": list(
            Compound.objects.order_by("code").values_list("code", "name", "grid__code", "boundary", "address")
        ),
        "buildings": list(
            Building.objects.order_by("compound__code", "name").values_list(
                "compound__code", "name", "lat", "lng"
            )
        ),
        "points": list(
            SensorPoint.objects.order_by("code").values_list(
                "code",
                "scene__code",
                "lat",
                "lng",
                "grid__code",
                "compound__code",
                "department__code",
                "status",
            )
        ),
        "users": list(
            User.objects.order_by("username").values_list("username", "first_name", "role", "phone")
        ),
    }
    return hashlib.sha256(json.dumps(rows, default=str, ensure_ascii=False).encode()).hexdigest()


def test_the_street_has_the_public_figures_and_national_codes():
    output = seed()

    district = District.objects.get()
    assert (district.code, district.name) == ("310109", "虹口区")
    street = Street.objects.get()
    assert street.name == "广中路街道"
    assert len(street.code) == 9
    assert street.code.isdigit()
    assert street.code.startswith(district.code)
    communities = list(Community.objects.all())
    assert len(communities) == 6
    for community in communities:
        assert len(community.code) == 12
        assert community.code.startswith(street.code)
        assert community.secretary is not None
    grids = list(Grid.objects.select_related("community"))
    assert len(grids) == 18
    for grid in grids:
        assert len(grid.code) == 15
        assert grid.code.isdigit()
        assert grid.code.startswith(grid.community.code)
    assert Grid.objects.values("community").annotate(n=Count("id")).filter(n=3).count() == 6
    assert Compound.objects.count() == 137
    assert Compound.objects.values("name").distinct().count() == 137
    assert Compound.objects.filter(property_company__kind=Department.Kind.PROPERTY).count() == 137
    assert Building.objects.count() >= 137 * 2

    # 9,165 points as in the public report, 930 of them on the street; smoke detectors first, then doors.
    assert SensorPoint.objects.count() == 9165
    assert SensorPoint.objects.filter(compound__isnull=True).count() == 930
    by_scene = dict(SensorPoint.objects.values_list("scene__code").annotate(n=Count("id")))
    assert set(by_scene) == set(Scene.objects.values_list("code", flat=True))
    ranked = sorted(by_scene, key=by_scene.get, reverse=True)
    assert ranked[:2] == ["smoke", "door-open"]
    assert by_scene["smoke"] > SensorPoint.objects.count() / 2
    assert not SensorPoint.objects.filter(department__isnull=True).exists()
    assert not SensorPoint.objects.exclude(sensor_type=F("scene__sensor_type")).exists()

    kinds = set(Department.objects.values_list("kind", flat=True))
    assert kinds >= {"street", "property", "urban_management", "fire", "water", "police", "environment",
                     "housing", "market"}  # fmt: skip
    assert street.leader is not None
    assert street.officials.filter(username="official").exists()

    workers = User.objects.filter(role=User.Role.GRID_WORKER)
    assert workers.count() == 40
    assert not workers.filter(grids__isnull=True).exists()
    assert not Grid.objects.filter(workers__isnull=True).exists()
    assert "9165" in output
    assert "demo12345" in output


def test_the_case_catalogue_has_every_category_the_scenes_open():
    output = seed()
    if importlib.util.find_spec("cases.defaults") is None:  # the cases app's catalogue is not there yet
        assert "skipped" in output
        return
    from cases.models import Category

    wanted = set(Scene.objects.values_list("case_category_code", flat=True)) | {
        "fire-emergency",
        "device-fault",
    }
    assert wanted <= set(Category.objects.values_list("code", flat=True))


def test_the_duty_roster_covers_every_grid_now_and_for_the_next_week():
    seed()
    now = timezone.now()
    for grid in Grid.objects.all():
        on_duty_now = on_duty(duty=DutyShift.Duty.GRID_WORKER, grid_id=grid.id, at=now)
        assert on_duty_now.count() == 1
        assert on_duty_now.get().grids.filter(pk=grid.pk).exists()  # the worker of that grid
        in_a_week = on_duty(duty=DutyShift.Duty.GRID_WORKER, grid_id=grid.id, at=now + timedelta(days=7))
        assert in_a_week.count() == 1
    assert on_duty(duty=DutyShift.Duty.DUTY_CHIEF, at=now).count() == 1
    # Also in the small hours: yesterday's night shift is on the roster.
    small_hours = timezone.localtime(now, street.SHANGHAI).replace(hour=3, minute=0)
    assert on_duty(duty=DutyShift.Duty.DUTY_CHIEF, at=small_hours).count() == 1
    workers = on_duty(duty=DutyShift.Duty.GRID_WORKER, at=small_hours)
    assert workers.count() == Grid.objects.count()  # one each, since no one has two beats
    assert on_duty(duty=DutyShift.Duty.DISPATCHER, at=now).count() == 1
    # Shifts start at 08:00 and 20:00 Shanghai time.
    hours = {
        timezone.localtime(s, street.SHANGHAI).hour
        for s in DutyShift.objects.values_list("starts_at", flat=True)
    }
    assert hours == {8, 20}


def test_compounds_lie_inside_their_grid_and_grids_tile_the_street_without_overlap():
    seed()
    grids = {grid.id: shape(grid.boundary) for grid in Grid.objects.all()}
    for compound in Compound.objects.select_related("grid"):
        assert grids[compound.grid_id].contains(shape(compound.boundary)), compound.code
        assert compound.community_id == compound.grid.community_id
        assert grids[compound.grid_id].contains(Point(compound.centre_lng, compound.centre_lat))
    polygons = list(grids.values())
    overlap = sum(a.intersection(b).area for i, a in enumerate(polygons) for b in polygons[i + 1 :])
    assert overlap == 0
    street = unary_union(polygons)
    assert street.geom_type == "Polygon"  # one piece, no holes between grids
    assert street.area * KM2_PER_DEG2 == pytest.approx(2.89, rel=0.05)
    centre = street.centroid
    assert centre.y == pytest.approx(31.27, abs=0.005)
    assert centre.x == pytest.approx(121.48, abs=0.005)
    for building in Building.objects.select_related("compound")[:500]:
        assert shape(building.compound.boundary).contains(Point(building.lng, building.lat))


def test_every_sensor_point_lies_in_its_grid_and_compound():
    seed()
    grids = {grid.id: shape(grid.boundary) for grid in Grid.objects.all()}
    compounds = {c.id: shape(c.boundary) for c in Compound.objects.all()}
    rows = SensorPoint.objects.values_list(
        "code", "lat", "lng", "grid_id", "compound_id", "building__compound_id"
    )
    assert rows.count() == 9165
    for code, lat, lng, grid_id, compound_id, building_compound in rows:
        point = Point(lng, lat)
        assert grid_id is not None, code
        assert grids[grid_id].contains(point), code
        if compound_id is not None:
            assert compounds[compound_id].contains(point), code
        else:
            assert not any(polygon.contains(point) for polygon in compounds.values()), code
        assert building_compound in (None, compound_id)


def test_demo_accounts_log_in_with_the_demo_password(api_client):
    seed()
    roles = {"admin": "admin", "dispatcher": "dispatcher", "gridworker": "grid_worker", "handler": "handler",
             "official": "official"}  # fmt: skip
    assert set(roles) == set(street.DEMO_ACCOUNTS)
    for username, role in roles.items():
        assert User.objects.get(username=username).role == role
        response = api_client.post("/api/v1/auth/token/", {"username": username, "password": "demo12345"})
        assert response.status_code == 200, (username, response.content)
        assert response.json()["token"]
        wrong = api_client.post("/api/v1/auth/token/", {"username": username, "password": "demo1234"})
        assert wrong.status_code == 400


def test_demo_accounts_have_their_places():
    seed()
    admin = User.objects.get(username="admin")
    assert admin.is_superuser
    assert admin.is_staff
    assert User.objects.get(username="gridworker").grids.count() == 1
    handler = User.objects.get(username="handler")
    assert handler.department.kind == Department.Kind.PROPERTY
    assert handler.department.compounds.filter(grid__workers__username="gridworker").exists()
    assert Street.objects.get().officials.filter(username="official").exists()
    # One hash for every account (hashing is slow on purpose), still a real PBKDF2 hash.
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1
    assert hashes.pop().startswith("pbkdf2_sha256$")


def test_a_second_run_creates_nothing_and_changes_nothing():
    seed()
    before = digest()
    counts = {model: model.objects.count() for model in demo_seed.REPORTED_MODELS}
    shifts = set(DutyShift.objects.values_list("id", "user_id", "starts_at"))

    output = seed()

    assert "Nothing to create" in output
    assert {model: model.objects.count() for model in demo_seed.REPORTED_MODELS} == counts
    assert digest() == before
    assert set(DutyShift.objects.values_list("id", "user_id", "starts_at")) == shifts
    report = demo_seed.seed_demo()
    assert not report.created_anything


def test_seeding_is_deterministic_across_runs():
    seed()
    first = digest()
    # Remove the whole street and build the plan again from scratch: first the rows that hold its
    # compounds, grids and people (the residents' demo cases and mediations, people's shops and visits).
    MediationOrder.objects.all().delete()
    ResidentReport.objects.all().delete()
    Case.objects.all().delete()
    Shop.objects.all().delete()
    Visit.objects.all().delete()
    DutyShift.objects.all().delete()
    SensorPoint.objects.all().delete()
    Building.objects.all().delete()
    Compound.objects.all().delete()
    Grid.workers.through.objects.all().delete()
    Grid.objects.all().delete()
    Community.objects.all().delete()
    Street.objects.all().delete()
    District.objects.all().delete()
    User.objects.all().delete()
    plan.build_plan.cache_clear()

    seed()

    assert digest() == first
    assert Grid.objects.get(code="310109011001001").name == "广中一村第1网格"


def test_rows_edited_by_an_admin_are_kept():
    User.objects.create_user(username="admin", password="my-own-password-42", role=User.Role.ADMIN)
    seed()
    compound = Compound.objects.order_by("code").first()
    compound.name = "改名小区"
    compound.save(update_fields=["name"])
    grid = Grid.objects.get(code="310109011001001")
    grid.workers.clear()

    seed()

    assert Compound.objects.get(pk=compound.pk).name == "改名小区"
    assert not Grid.objects.get(pk=grid.pk).workers.exists()
    admin = User.objects.get(username="admin")
    assert admin.check_password("my-own-password-42")
    assert not admin.check_password("demo12345")


def test_if_empty_seeds_an_empty_database_and_skips_one_with_grids():
    GridFactory(code="310109099001001")

    output = seed("--if-empty")

    assert "not seeded" in output
    assert Grid.objects.count() == 1
    assert not Compound.objects.exists()
    assert not SensorPoint.objects.exists()


def test_if_empty_seeds_when_there_are_no_grids():
    seed("--if-empty")
    assert Grid.objects.count() == 18


def test_a_broken_scene_catalogue_is_a_clear_error_and_writes_nothing(monkeypatch):
    monkeypatch.setattr(demo_seed, "ensure_default_scenes", lambda: 0)  # an empty catalogue

    with pytest.raises(CommandError, match="scene catalogue lacks"):
        seed()

    assert not Grid.objects.exists()
    assert not User.objects.exists()
    assert not Department.objects.exists()


@settings(max_examples=200, deadline=None)
@given(
    grid_index=st.integers(0, 17),
    u=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    v=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_any_sub_rectangle_of_a_grid_maps_inside_it(grid_index, u, v):
    """The geometry the compounds rely on: a (u, v) sub-rectangle is a quadrilateral inside the grid."""
    grid = plan.build_plan().grids[grid_index]
    (u0, u1), (v0, v1) = sorted(u), sorted(v)
    quad = plan._sub_quad(grid.quad, u0, u1, v0, v1)
    grid_polygon = shape(grid.boundary).buffer(1e-9)  # rounding to 7 decimals moves corners by < 1e-7/2
    # The grid is convex, so a quadrilateral whose corners it covers lies inside it.
    assert all(grid_polygon.covers(Point(corner)) for corner in quad)

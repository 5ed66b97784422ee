"""Scoping in one place: each role sees its rows in lists and details, counted against the database."""

import pytest

from accounts.models import User
from grids.models import Compound, Grid
from tests.factories import CompoundFactory, DepartmentFactory, GridFactory, StreetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def street():
    street = StreetFactory()
    # 4 grids with 2 compounds each, in two communities
    grids = GridFactory.create_batch(4)
    for grid in grids:
        CompoundFactory.create_batch(2, grid=grid)
    return street


def list_ids(api_client, user, url):
    api_client.force_authenticate(user)
    response = api_client.get(url, {"page_size": 1000})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(body["results"])
    return {row["id"] for row in body["results"]}


def test_grid_worker_lists_only_their_grids_rows(api_client, make_user, street):
    worker = make_user(role=User.Role.GRID_WORKER)
    mine = Grid.objects.order_by("id")[1]
    mine.workers.add(worker)

    grids = list_ids(api_client, worker, "/api/v1/grids/")
    compounds = list_ids(api_client, worker, "/api/v1/compounds/")

    assert grids == {mine.id}
    assert compounds == set(Compound.objects.filter(grid=mine).values_list("id", flat=True))
    assert len(compounds) == 2 < Compound.objects.count()


def test_grid_worker_cannot_read_another_grid_in_detail(api_client, make_user, street):
    worker = make_user(role=User.Role.GRID_WORKER)
    mine, other = Grid.objects.order_by("id")[:2]
    mine.workers.add(worker)
    api_client.force_authenticate(worker)

    assert api_client.get(f"/api/v1/grids/{mine.id}/").status_code == 200
    assert api_client.get(f"/api/v1/grids/{other.id}/").status_code == 404


def test_dispatcher_sees_the_whole_district(api_client, make_user, street):
    dispatcher = make_user(role=User.Role.DISPATCHER)

    assert list_ids(api_client, dispatcher, "/api/v1/grids/") == set(
        Grid.objects.values_list("id", flat=True)
    )
    assert len(list_ids(api_client, dispatcher, "/api/v1/compounds/")) == Compound.objects.count() == 8


def test_official_reads_their_street_only(api_client, make_user, street):
    official = make_user(role=User.Role.OFFICIAL)
    street.officials.add(official)
    outsider = make_user(role=User.Role.OFFICIAL)  # official of no street

    assert list_ids(api_client, official, "/api/v1/grids/") == set(Grid.objects.values_list("id", flat=True))
    assert list_ids(api_client, outsider, "/api/v1/grids/") == set()


def test_handler_sees_the_compounds_of_their_department(api_client, make_user, street):
    company = DepartmentFactory(code="prop-jinhong")
    managed = Compound.objects.order_by("id")[:3]
    Compound.objects.filter(id__in=[c.id for c in managed]).update(property_company=company)
    handler = make_user(role=User.Role.HANDLER, department=company)

    compounds = list_ids(api_client, handler, "/api/v1/compounds/")

    assert compounds == set(Compound.objects.filter(property_company=company).values_list("id", flat=True))
    assert len(compounds) == 3
    assert list_ids(api_client, handler, "/api/v1/grids/") == set()


def test_inactive_user_sees_nothing(make_user, street):
    from grids.scoping import scope_queryset
    from grids.selectors import GRID_SCOPE

    dispatcher = make_user(role=User.Role.DISPATCHER, is_active=False)

    assert scope_queryset(Grid.objects.all(), dispatcher, GRID_SCOPE).count() == 0


def test_grid_rows_carry_geojson_and_a_centre_inside(api_client, make_user, street):
    from shapely.geometry import Point, shape

    dispatcher = make_user(role=User.Role.DISPATCHER)
    api_client.force_authenticate(dispatcher)

    rows = api_client.get("/api/v1/grids/").json()["results"]

    assert rows
    for row in rows:
        assert set(row) >= {"id", "code", "name", "boundary", "lat", "lng"}
        assert len(row["code"]) == 15
        assert row["code"].isdigit()
        assert shape(row["boundary"]).contains(Point(row["lng"], row["lat"]))

"""Grid workers' patrol positions: POST /api/v1/patrol-positions/, the service and seed_patrols."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from shapely.geometry import Point

from grids.geometry import to_polygon
from grids.models import PatrolPosition
from grids.services import PositionIn, record_patrol_positions
from tests.factories import UserFactory

URL = "/api/v1/patrol-positions/"
pytestmark = pytest.mark.django_db


def iso(moment):
    return timezone.localtime(moment).isoformat()


def test_a_worker_uploads_one_position_and_it_is_placed_in_its_grid(api_client, world):
    grid = world.street_grids[0]
    api_client.force_authenticate(world.worker)
    response = api_client.post(
        URL,
        {"lat": grid.centre_lat, "lng": grid.centre_lng, "accuracy": 8, "recorded_at": iso(timezone.now())},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"received": 1, "created": 1}
    position = PatrolPosition.objects.get()
    assert (position.user, position.grid, position.accuracy) == (world.worker, grid, 8)


def test_a_buffered_upload_is_stored_once_however_often_it_is_retried(api_client, world):
    grid = world.street_grids[0]
    start = timezone.now() - timedelta(minutes=30)
    batch = [
        {
            "lat": grid.centre_lat,
            "lng": grid.centre_lng + i * 1e-5,
            "recorded_at": iso(start + timedelta(minutes=i)),
        }
        for i in range(20)
    ]
    api_client.force_authenticate(world.worker)
    first = api_client.post(URL, batch, format="json")
    again = api_client.post(URL, batch + batch[:1], format="json")  # the same time twice in one upload too
    assert first.json() == {"received": 20, "created": 20}
    assert again.status_code == 201
    assert again.json() == {"received": 21, "created": 0}
    assert PatrolPosition.objects.count() == 20


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"lat": 91}, "lat", "between -90 and 90"),
        ({"lng": -181}, "lng", "between -180 and 180"),
        ({"accuracy": -1}, "accuracy", "must not be negative"),
        ({"recorded_at": "2026-11-21T08:00:00"}, "recorded_at", "UTC offset"),
        ({"recorded_at": "yesterday"}, "recorded_at", "ISO 8601"),
        ({"recorded_at": "future"}, "recorded_at", "future"),
        ({"recorded_at": "old"}, "recorded_at", "older than 7 days"),
        ({"lat": "north"}, "lat", "valid number"),
    ],
)
def test_a_bad_position_refuses_the_upload_with_the_reason_and_saves_nothing(
    api_client, world, change, field, words
):
    grid = world.street_grids[0]
    now = timezone.now()
    good = {"lat": grid.centre_lat, "lng": grid.centre_lng, "recorded_at": iso(now - timedelta(minutes=1))}
    bad = {**good, "recorded_at": iso(now - timedelta(minutes=2)), **change}
    if bad["recorded_at"] == "future":
        bad["recorded_at"] = iso(now + timedelta(hours=1))
    if bad["recorded_at"] == "old":
        bad["recorded_at"] = iso(now - timedelta(days=8))
    api_client.force_authenticate(world.worker)

    response = api_client.post(URL, [good, bad], format="json")

    assert response.status_code == 400
    errors = response.json()  # by position in the upload: only the bad one, and a summary
    assert list(errors) == ["detail", "1"]
    assert words in " ".join(errors["1"][field])
    assert words in errors["detail"]
    assert PatrolPosition.objects.count() == 0


def test_uploads_that_are_empty_too_long_or_not_objects_are_refused(api_client, world, monkeypatch):
    from grids.api import patrol

    api_client.force_authenticate(world.worker)
    assert "at least one" in api_client.post(URL, [], format="json").json()["detail"]
    monkeypatch.setattr(patrol, "MAX_POSITIONS_PER_UPLOAD", 2)
    point = {"lat": 31.26, "lng": 121.47, "recorded_at": iso(timezone.now())}
    assert "at most 2" in api_client.post(URL, [point] * 3, format="json").json()["detail"]
    response = api_client.post(URL, [1, "x"], format="json")
    assert response.status_code == 400
    assert PatrolPosition.objects.count() == 0


def test_only_grid_workers_record_positions(api_client, world):
    body = {"lat": 31.26, "lng": 121.47, "recorded_at": iso(timezone.now())}
    assert api_client.post(URL, body, format="json").status_code == 401
    api_client.force_authenticate(world.dispatcher)
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 403
    assert "Only grid workers" in response.json()["detail"]


def test_a_new_position_moves_the_worker_on_the_screens_after_commit(
    world, django_capture_on_commit_callbacks
):
    from command_center import realtime

    sent = []
    grid = world.street_grids[0]
    now = timezone.now()
    original = realtime.send_now
    realtime.send_now = lambda groups, message: sent.append((list(groups), message))
    try:
        with django_capture_on_commit_callbacks(execute=True):
            record_patrol_positions(
                user=world.worker,
                positions=[
                    PositionIn(
                        lat=grid.centre_lat, lng=grid.centre_lng, recorded_at=now - timedelta(minutes=1)
                    ),
                    PositionIn(lat=grid.centre_lat + 1e-4, lng=grid.centre_lng, recorded_at=now),
                ],
            )
        with django_capture_on_commit_callbacks(execute=True):
            # Old buffered points arriving late do not move the worker back.
            record_patrol_positions(
                user=world.worker,
                positions=[PositionIn(lat=1.0, lng=1.0, recorded_at=now - timedelta(hours=1))],
            )
    finally:
        realtime.send_now = original

    [(groups, message)] = sent
    assert groups == ["district", f"grid.{grid.pk}"]
    assert (message["event"], message["kind"], message["id"]) == ("worker.moved", "worker", world.worker.pk)
    assert message["data"]["lat"] == pytest.approx(grid.centre_lat + 1e-4)
    assert message["version"] == int(now.timestamp() * 1000)


def test_seed_patrols_walks_every_worker_inside_their_grid_and_is_idempotent(world):
    second = UserFactory(username="worker2", role="grid_worker")
    world.street_grids[1].workers.add(second)

    call_command("seed_patrols", "--every", "300", "--hours", "2")
    count = PatrolPosition.objects.count()
    call_command("seed_patrols", "--every", "300", "--hours", "2")

    assert PatrolPosition.objects.count() == count  # nothing new within the same 5 minutes (or 1 more)
    assert count >= 2 * 20
    for position in PatrolPosition.objects.select_related("user"):
        home = world.street_grids[0] if position.user == world.worker else world.street_grids[1]
        assert to_polygon(home.boundary).contains(Point(position.lng, position.lat))
        assert position.grid_id == home.pk
        assert position.recorded_at <= timezone.now()


def test_seed_patrols_without_workers_says_so(db, capsys):
    call_command("seed_patrols")
    assert "no grid workers" in capsys.readouterr().out

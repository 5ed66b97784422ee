"""GET /api/v1/screen/snapshot: everything the wall screen shows, scoped, with a version."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case
from command_center.realtime import send_now
from grids.models import PatrolPosition
from screen import panels_map
from screen import snapshot as screen_module
from tests.screen.conftest import category, make_alarm, make_case, make_point

URL = "/api/v1/screen/snapshot"
pytestmark = pytest.mark.django_db


def snapshot(client, user, **params):
    client.force_authenticate(user)
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_anonymous_callers_get_401(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401


def test_department_handlers_have_no_wall_screen(api_client, world):
    api_client.force_authenticate(world.handler)
    response = api_client.get(URL)
    assert response.status_code == 403
    assert "wall screen is for" in response.json()["detail"]


def test_dispatcher_sees_the_whole_district(api_client, world):
    smoke = world.scenes["smoke"]
    points = [make_point(grid, code=f"YG-{i}", scene=smoke) for i, grid in enumerate(world.grids)]
    for point in points:
        make_alarm(point)
    for grid in world.grids:
        make_case(grid)

    data = snapshot(api_client, world.dispatcher)

    assert {g["id"] for g in data["grids"]} == {g.pk for g in world.grids}
    assert len(data["alarms"]) == data["alarms_total"] == 4
    assert len(data["cases"]) == data["cases_total"] == 4
    assert len(data["points"]) == 4
    assert data["kpis"]["active_alarms"] == 4
    assert data["kpis"]["open_cases"] == 4
    assert data["sections"] == list(screen_module.SECTIONS)
    assert isinstance(data["version"], int)


def test_official_sees_only_their_street(api_client, world):
    smoke = world.scenes["smoke"]
    mine, theirs = world.street_grids[0], world.other_grid
    make_alarm(make_point(mine, code="YG-A", scene=smoke))
    make_alarm(make_point(theirs, code="YG-B", scene=smoke))
    make_case(mine, title="本街道案件")
    make_case(theirs, title="外街道案件")

    data = snapshot(api_client, world.official)

    assert {g["id"] for g in data["grids"]} == {g.pk for g in world.street_grids}
    assert [a["sensor_point"] for a in data["alarms"]] == ["YG-A"]
    assert [c["title"] for c in data["cases"]] == ["本街道案件"]
    assert [p[1] for p in data["points"]] == ["YG-A"]
    assert data["kpis"]["active_alarms"] == 1
    assert data["kpis"]["open_cases"] == 1
    assert data["kpis"]["points_online"] + data["kpis"]["points_offline"] == 1


def test_grid_worker_sees_only_their_grid(api_client, world):
    smoke = world.scenes["smoke"]
    for i, grid in enumerate(world.street_grids):
        make_alarm(make_point(grid, code=f"YG-{i}", scene=smoke))
    data = snapshot(api_client, world.worker)
    assert [g["id"] for g in data["grids"]] == [world.street_grids[0].pk]
    assert [a["sensor_point"] for a in data["alarms"]] == ["YG-0"]


def test_per_grid_screen_and_its_scope(api_client, world):
    smoke = world.scenes["smoke"]
    for i, grid in enumerate(world.street_grids):
        make_alarm(make_point(grid, code=f"YG-{i}", scene=smoke))
    target = world.street_grids[1]

    data = snapshot(api_client, world.official, grid=target.pk)
    assert data["grid"] == target.pk
    assert [g["id"] for g in data["grids"]] == [target.pk]
    assert [a["sensor_point"] for a in data["alarms"]] == ["YG-1"]

    api_client.force_authenticate(world.official)
    outside = api_client.get(URL, {"grid": world.other_grid.pk})
    assert outside.status_code == 403
    assert "outside your area" in outside.json()["detail"]
    assert api_client.get(URL, {"grid": 999999}).status_code == 403


@pytest.mark.parametrize("params", [{"grid": "abc"}, {"grid": "-1"}, {"grid": "1.5"}])
def test_a_malformed_grid_is_a_clear_400(api_client, world, params):
    api_client.force_authenticate(world.dispatcher)
    response = api_client.get(URL, params)
    assert response.status_code == 400
    assert "grid must be a grid id" in response.json()["detail"]


def test_sections_limit_the_answer_and_unknown_ones_are_refused(api_client, world):
    data = snapshot(api_client, world.dispatcher, sections="kpis,charts")
    assert set(data) == {"version", "seqs", "generated_at", "grid", "sections", "warnings", "kpis", "charts"}

    response = api_client.get(URL, {"sections": "kpis,everything"})
    assert response.status_code == 400
    assert "Unknown section everything" in response.json()["detail"]


def test_grid_state_follows_cases_and_alarms(api_client, world):
    normal, open_, overdue, emergency = world.grids
    make_case(open_)
    make_case(overdue, overdue=True)
    make_case(emergency, emergency=True)
    make_case(normal, status="closed")  # closed cases do not colour a grid

    states = {g["id"]: g for g in snapshot(api_client, world.dispatcher)["grids"]}

    assert states[normal.pk]["state"] == "normal"
    assert states[open_.pk]["state"] == "open"
    assert states[overdue.pk]["state"] == "overdue"
    assert states[overdue.pk]["overdue"] == 1
    assert states[emergency.pk]["state"] == "emergency"
    assert states[world.grids[0].pk]["workers"] == [str(world.worker)]


def test_a_critical_alarm_makes_its_grid_an_emergency(api_client, world):
    grid = world.grids[2]
    make_alarm(make_point(grid, code="SOS-1", scene=world.scenes["sos"]), severity="critical")
    make_alarm(make_point(world.grids[1], code="ZS-1", scene=world.scenes["noise"]), severity="minor")
    states = {g["id"]: g["state"] for g in snapshot(api_client, world.dispatcher)["grids"]}
    assert states[grid.pk] == "emergency"
    assert states[world.grids[1].pk] == "normal"  # a minor alarm alone leaves the grid normal


def test_device_health_alarms_show_as_sensor_state_not_as_alarms(api_client, world):
    point = make_point(world.grids[0], code="YG-OFF", scene=world.scenes["smoke"], online=False)
    make_alarm(point, type="offline", scene=None, severity="minor")
    data = snapshot(api_client, world.dispatcher)
    assert data["alarms"] == []
    assert data["kpis"]["points_offline"] == 1
    assert data["kpis"]["points_online"] == 0
    assert data["points"][0][5] == 0  # the point is drawn as offline


def test_cleared_alarms_and_closed_cases_are_not_on_the_map(api_client, world):
    point = make_point(world.grids[0], code="YG-1", scene=world.scenes["smoke"])
    make_alarm(point, cleared=True)
    for status in ("closed", "rejected", "merged"):
        make_case(world.grids[0], status=status)
    suspended = make_case(world.grids[0], status="suspended")
    data = snapshot(api_client, world.dispatcher)
    assert data["alarms"] == []
    assert [c["id"] for c in data["cases"]] == [suspended.pk]  # suspended is still open


def test_kpis(api_client, world):
    now = timezone.now()
    grid = world.grids[0]
    point = make_point(grid, code="YG-1", scene=world.scenes["smoke"])
    make_alarm(point, cleared=True)
    make_alarm(make_point(grid, code="YG-2", scene=world.scenes["smoke"]))
    make_alarm(make_point(grid, code="YG-3", scene=world.scenes["smoke"]), raised_at=now - timedelta(days=2))
    make_point(grid, code="YG-4", scene=world.scenes["smoke"], online=False)
    # Handled after 1 h and after 3 h: average 2 h.
    for hours, satisfaction, late in ((1, 5, False), (3, 2, True)):
        make_case(
            grid,
            status="closed",
            dispatched_at=now - timedelta(hours=5),
            handled_at=now - timedelta(hours=5 - hours),
            closed_at=now - timedelta(hours=1),
            satisfaction=satisfaction,
            ever_overdue=late,
        )
    make_case(grid, overdue=True, ever_overdue=True)  # open and overdue: due, not closed on time
    make_case(grid, status="suspended", overdue=True)  # suspended (缓办): not counted as due

    kpis = snapshot(api_client, world.dispatcher, sections="kpis")["kpis"]

    assert kpis["alarms_today"] == 2  # raised today, cleared or not
    assert kpis["active_alarms"] == 2
    assert kpis["open_cases"] == 2
    assert kpis["overdue"] == 2
    assert kpis["avg_handling_seconds"] == 2 * 3600
    assert kpis["on_time_rate"] == pytest.approx(1 / 3, abs=1e-4)  # 1 on time of (2 closed + 1 overdue)
    assert kpis["satisfaction_rate"] == 0.5
    assert kpis["points_online"] == 3
    assert kpis["points_offline"] == 1


def test_rates_are_none_without_data(api_client, world):
    kpis = snapshot(api_client, world.dispatcher, sections="kpis")["kpis"]
    assert kpis["on_time_rate"] is None
    assert kpis["satisfaction_rate"] is None
    assert kpis["avg_handling_seconds"] is None


def test_charts(api_client, world):
    now = timezone.now()
    grid = world.grids[0]
    noise = category("noise", "噪声扰民")
    for _ in range(3):
        make_case(grid, source=Case.Source.RESIDENT, category=noise)
    make_case(grid, source=Case.Source.HOTLINE)
    make_case(grid, source=Case.Source.PATROL, created_at=now - timedelta(days=3))
    make_alarm(make_point(grid, code="YG-1", scene=world.scenes["smoke"]))
    make_alarm(make_point(grid, code="YG-2", scene=world.scenes["smoke"]))
    make_alarm(make_point(grid, code="ZS-1", scene=world.scenes["noise"]))

    charts = snapshot(api_client, world.dispatcher, sections="charts")["charts"]

    by_source = {row["source"]: row["count"] for row in charts["cases_by_source"]}
    assert by_source == {"sensor": 0, "patrol": 0, "resident": 3, "hotline": 1, "video": 0, "manual": 0}
    assert [(row["code"], row["count"]) for row in charts["cases_by_category"]] == [
        ("noise", 3),
        ("fire-smoke", 1),
    ]
    assert [(row["code"], row["count"]) for row in charts["alarms_by_scene"]] == [("smoke", 2), ("noise", 1)]
    trend = charts["trend"]
    assert len(trend["days"]) == 7
    assert trend["days"][-1] == timezone.localdate().isoformat()
    assert trend["cases"][-1] == 4
    assert trend["cases"][-4] == 1
    assert trend["alarms"][-1] == 3


def test_the_map_gets_at_most_the_row_limit_but_the_true_total(api_client, world, monkeypatch):
    monkeypatch.setattr(panels_map, "MAP_ROWS_LIMIT", 2)
    for i in range(5):
        make_alarm(make_point(world.grids[0], code=f"YG-{i}", scene=world.scenes["smoke"]))
    data = snapshot(api_client, world.dispatcher, sections="alarms")
    assert len(data["alarms"]) == 2
    assert data["alarms_total"] == 5


def test_the_version_counts_the_events_sent_to_the_screen(api_client, world):
    before = snapshot(api_client, world.official, sections="kpis")
    send_now(
        ["district", "grid.1"], {"type": "realtime.event", "event": "case.filed", "kind": "case", "id": 1}
    )
    send_now(["district"], {"type": "realtime.event", "event": "case.filed", "kind": "case", "id": 2})
    after = snapshot(api_client, world.official, sections="kpis")
    assert after["version"] == before["version"] + 2
    assert after["seqs"] == {"district": before["seqs"]["district"] + 2}


def test_workers_latest_position_and_recent_simplified_track(api_client, world, monkeypatch):
    monkeypatch.setattr(panels_map, "TRACK_POINTS_PER_WORKER", 10)
    grid = world.grids[0]
    start = timezone.now() - timedelta(hours=1)
    if timezone.localtime(start).date() != timezone.localdate():
        start = timezone.now() - timedelta(minutes=50)  # just after midnight: stay within today

    def place(i: int) -> tuple[float, float]:
        # A zigzag (every corner ~10 m off the line: kept), then a straight stretch (simplified away).
        if i < 80:
            return grid.centre_lat + i * 1e-5, grid.centre_lng + (i % 2) * 1e-4
        return grid.centre_lat + 80e-5 + (i - 80) * 1e-5, grid.centre_lng

    PatrolPosition.objects.bulk_create(
        PatrolPosition(
            user=world.worker,
            grid=grid,
            lat=place(i)[0],
            lng=place(i)[1],
            recorded_at=start + timedelta(seconds=30 * i),
        )
        for i in range(95)
    )
    PatrolPosition.objects.create(  # yesterday: not today's track
        user=world.worker, grid=grid, lat=1, lng=1, recorded_at=start - timedelta(days=1)
    )

    data = snapshot(api_client, world.dispatcher, sections="workers,tracks")

    [worker] = data["workers"]
    assert worker["id"] == world.worker.pk
    assert worker["lat"] == pytest.approx(place(94)[0])
    assert worker["place"] == grid.name
    [track] = data["tracks"]
    line = track["line"]
    assert len(line) == 10
    assert line[-1] == [pytest.approx(place(94)[0]), pytest.approx(place(94)[1])]  # where the worker is now
    assert line[-2] == [
        pytest.approx(place(79)[0]),
        pytest.approx(place(79)[1]),
    ]  # the straight stretch: 2 ends
    assert [1, 1] not in line


def test_workers_outside_the_viewers_scope_are_not_shown(api_client, world):
    other = world.other_grid
    PatrolPosition.objects.create(
        user=world.worker, grid=other, lat=other.centre_lat, lng=other.centre_lng, recorded_at=timezone.now()
    )
    assert snapshot(api_client, world.official, sections="workers")["workers"] == []
    assert len(snapshot(api_client, world.dispatcher, sections="workers")["workers"]) == 1


def test_the_snapshot_is_gzipped_for_browsers(api_client, world):
    for i in range(50):
        make_point(world.grids[0], code=f"YG-{i:03d}", scene=world.scenes["smoke"])
    api_client.force_authenticate(world.dispatcher)
    response = api_client.get(URL, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert response["Cache-Control"] == "no-store"

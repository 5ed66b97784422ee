"""GET /api/v1/stats/weekly/ and /api/v1/stats/kpis/: the keys, bad input in Chinese, who may read."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case
from tests.factories import UserFactory

from .conftest import at, case, event

pytestmark = pytest.mark.django_db
S = Case.Status


def client_for(role: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(role=role))
    return client


def test_the_weekly_kpis_of_an_iso_week():
    filed = at("2026-11-16 09:00")
    closed = case(filed_at=filed, status=S.CLOSED, closed_at=at("2026-11-17 09:00"), handled_by=UserFactory())
    event(closed, "dispatch", "2026-11-16 10:00", to=S.DISPATCHED)
    case(filed_at=filed, status=S.DISPATCHED)
    response = client_for(User.Role.OFFICIAL).get("/api/v1/stats/weekly/?week=2026-W47")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["week"], body["start"], body["end"]) == ("2026-W47", "2026-11-16", "2026-11-22")
    for key in (
        "reported",
        "filed",
        "dispatched",
        "closed",
        "close_rate",
        "on_time_close_rate",
        "rework_rate",
        "return_rate",
        "avg_handle_hours",
        "satisfaction_rate",
    ):
        assert key in body, key
    assert (body["reported"], body["filed"], body["dispatched"], body["closed"]) == (2, 2, 1, 1)
    assert body["close_rate"] == 0.5
    assert body["rework_rate"] is None
    assert body["period_on_period"]["reported"] is None  # nothing the week before
    assert set(body["previous"]) >= {"reported", "close_rate"}


@pytest.mark.parametrize("week", ["2026-W60", "47", "2026-w47 ", "last"])
def test_a_bad_week_answers_400_in_chinese(week):
    response = client_for(User.Role.DISPATCHER).get(
        "/api/v1/stats/weekly/", {"week": week}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    assert "请给出 ISO 周" in response.json()["detail"]


def test_statistics_with_period_and_filters():
    one = case(created_at=at("2026-11-03 09:00"), source=Case.Source.HOTLINE)
    case(created_at=at("2026-11-04 09:00"))
    client = client_for(User.Role.ADMIN)
    response = client.get(
        "/api/v1/stats/kpis/", {"period": "month", "date": "2026-11-20", "source": "hotline"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"kind": "month", "label": "2026-11", "from": "2026-11-01", "to": "2026-11-30"}
    assert body["kpis"]["reported"] == 1
    assert [row["code"] for row in body["rankings"]["community"]] == [one.community.code]
    assert len(body["daily"]) == 30
    assert body["daily"][2] == {"day": "2026-11-03", "reported": 1, "closed": 0}
    ranged = client.get("/api/v1/stats/kpis/", {"from": "2026-11-01", "to": "2026-11-03"}).json()
    assert ranged["kpis"]["reported"] == 1
    assert ranged["period"]["label"] == "2026-11-01/2026-11-03"


def test_bad_periods_and_filters_answer_400():
    client = client_for(User.Role.OFFICIAL)
    assert client.get("/api/v1/stats/kpis/", {"from": "2026-11-05", "to": "2026-11-01"}).status_code == 400
    assert client.get("/api/v1/stats/kpis/", {"from": "2020-01-01", "to": "2026-11-01"}).status_code == 400
    assert client.get("/api/v1/stats/kpis/", {"period": "decade"}).status_code == 400
    assert client.get("/api/v1/stats/kpis/", {"date": "yesterday", "period": "day"}).status_code == 400
    assert client.get("/api/v1/stats/kpis/", {"source": "pigeon"}).status_code == 400


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (User.Role.OFFICIAL, 200),
        (User.Role.DISPATCHER, 200),
        (User.Role.ADMIN, 200),
        (User.Role.GRID_WORKER, 403),
        (User.Role.HANDLER, 403),
    ],
)
def test_officials_dispatchers_and_admins_read_the_statistics(role, status):
    client = client_for(role)
    assert client.get("/api/v1/stats/weekly/").status_code == status
    assert client.get("/api/v1/stats/kpis/").status_code == status


def test_anonymous_callers_are_refused():
    assert APIClient().get("/api/v1/stats/weekly/").status_code == 401

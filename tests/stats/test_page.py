"""/stats/: who may open it, its data handed over as JSON, no inline script, links to the cases."""

import json
import re

import pytest
from django.test import Client

from accounts.models import User
from cases.models import Case
from tests.factories import UserFactory

from .conftest import at, case

pytestmark = pytest.mark.django_db


def signed_in(role: str, street=None) -> Client:  # type: ignore[no-untyped-def]
    user = UserFactory(role=role)
    if street is not None:
        street.officials.add(user)  # an official sees the streets they are an official of
    client = Client()
    client.force_login(user)
    return client


def options(response) -> dict:  # type: ignore[no-untyped-def]
    found = re.search(
        r'<script id="stats-options" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert found, "the page hands its data over with json_script"
    return json.loads(found[1])


def test_an_official_sees_the_figures_of_the_period_with_links_to_the_cases():
    one = case(created_at=at("2026-11-17 09:00"), status=Case.Status.DISPATCHED, overdue=True)
    official = signed_in(User.Role.OFFICIAL, street=one.community.street)
    response = official.get("/stats/", {"period": "week", "date": "2026-11-18"})
    assert response.status_code == 200
    data = options(response)
    assert data["data"]["period"]["label"] == "2026-W47"
    assert data["data"]["kpis"]["reported"] == 1
    assert (
        data["data"]["links"]["reported"]
        == "/api/v1/cases/?created_after=2026-11-16&created_before=2026-11-22"
    )
    assert data["data"]["links"]["overdue"] == "/api/v1/cases/?overdue=true"
    assert data["data"]["overdue_list"][0]["link"] == f"/console/?case={one.pk}"
    row = data["data"]["rankings"]["community"][0]
    assert row["link"].startswith(f"/api/v1/cases/?community={one.community_id}&")
    assert data["kpis"]["close_rate"]["formula"]
    # No inline script (CSP): only the JSON data block and script files.
    html = response.content.decode()
    assert all(
        "src=" in tag or 'type="application/json"' in tag for tag in re.findall(r"<script[^>]*>", html)
    )


def test_filters_reach_the_figures_and_the_links():
    one = case(created_at=at("2026-11-17 09:00"), source=Case.Source.HOTLINE)
    case(created_at=at("2026-11-17 09:00"))
    query = {"period": "week", "date": "2026-11-18", "source": "hotline", "community": one.community.code}
    data = options(signed_in(User.Role.DISPATCHER).get("/stats/", query))
    assert data["data"]["kpis"]["reported"] == 1
    assert f"community={one.community_id}" in data["data"]["links"]["reported"]
    assert "source=hotline" in data["data"]["links"]["reported"]


def test_a_bad_period_shows_the_default_one_with_the_error():
    response = signed_in(User.Role.ADMIN).get("/stats/", {"from": "2026-11-20", "to": "2026-11-01"})
    assert response.status_code == 200
    assert 'class="form-error"' in response.content.decode()


@pytest.mark.parametrize("role", [User.Role.GRID_WORKER, User.Role.HANDLER])
def test_field_roles_may_not_open_it(role):
    assert signed_in(role).get("/stats/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in():
    response = Client().get("/stats/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_an_official_counts_only_their_own_streets():
    case(created_at=at("2026-11-17 09:00"))
    data = options(signed_in(User.Role.OFFICIAL).get("/stats/", {"period": "week", "date": "2026-11-18"}))
    assert data["data"]["kpis"]["reported"] == 0

"""The "On duty now" panel (screen/panels_duty.py): a registered section of the snapshot with a box
and a renderer of its own on the wall screen, following docs/extending.md's recipe."""

from datetime import timedelta

import pytest
from django.utils import timezone

from grids.models import DutyShift
from screen.panels import PANELS
from screen.snapshot import SECTIONS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/screen/snapshot"


def shift(user, duty, grid=None, *, hours_ago=1, hours_left=7):  # type: ignore[no-untyped-def]
    now = timezone.now()
    return DutyShift.objects.create(
        user=user,
        duty=duty,
        grid=grid,
        starts_at=now - timedelta(hours=hours_ago),
        ends_at=now + timedelta(hours=hours_left),
    )


def duty(api_client, user):  # type: ignore[no-untyped-def]
    api_client.force_authenticate(user)
    response = api_client.get(URL, {"sections": "duty"})
    assert response.status_code == 200, response.content
    assert set(response.json()) >= {"duty", "version"}
    return response.json()["duty"]


def test_the_panel_is_a_registered_section() -> None:
    assert "duty" in SECTIONS
    assert PANELS["duty"].template == "screen/panels/duty.html"
    assert PANELS["duty"].script == "js/panels/duty.js"


def test_it_lists_who_is_on_duty_now_street_wide_first(api_client, world) -> None:  # type: ignore[no-untyped-def]
    chief = UserFactory(username="chief", first_name="王值班", phone="021-65550001")
    shift(chief, DutyShift.Duty.DUTY_CHIEF)
    shift(world.worker, DutyShift.Duty.GRID_WORKER, world.street_grids[0])
    shift(UserFactory(username="gone"), DutyShift.Duty.DISPATCHER, hours_ago=9, hours_left=-1)  # ended

    rows = duty(api_client, world.dispatcher)

    assert [row["name"] for row in rows] == ["王值班", "网格员甲"]
    assert rows[0]["phone"] == "021-65550001"
    assert rows[1]["grid"] == world.street_grids[0].name


def test_a_grid_worker_sees_the_duties_of_their_grids_and_the_street(api_client, world) -> None:  # type: ignore[no-untyped-def]
    other_worker = UserFactory(username="other", first_name="网格员乙")
    shift(other_worker, DutyShift.Duty.GRID_WORKER, world.street_grids[1])
    shift(world.worker, DutyShift.Duty.GRID_WORKER, world.street_grids[0])
    shift(UserFactory(username="chief", first_name="王值班"), DutyShift.Duty.DUTY_CHIEF)

    names = [row["name"] for row in duty(api_client, world.worker)]

    assert names == ["王值班", "网格员甲"]


def test_the_wall_screen_page_has_the_panels_box_and_script(client, world) -> None:  # type: ignore[no-untyped-def]
    client.force_login(world.dispatcher)
    page = client.get("/screen/").content.decode()
    assert 'id="duty"' in page
    assert "js/panels/duty.js" in page

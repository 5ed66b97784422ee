"""The admin pages of the catalogue and the cases open, and the calendar years say to check the notice."""

import pytest

from cases.models import CalendarYear, Case, EscalationPolicy
from cases.services import open_case_from_alarm
from tests.factories import UserFactory


@pytest.fixture
def admin_client(client, catalogue):  # type: ignore[no-untyped-def]
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True, role="admin"))
    return client


@pytest.mark.parametrize(
    "model",
    ["category", "workcalendar", "calendaryear", "escalationpolicy", "dispatchrule", "case", "notification"],
)
def test_changelists_open(admin_client, model) -> None:  # type: ignore[no-untyped-def]
    assert admin_client.get(f"/admin/cases/{model}/").status_code == 200


def test_change_pages_open(admin_client, place) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    case_id = open_case_from_alarm(
        source_key="alarm:1", category_code="fire-smoke", severity="critical", title="烟感", description="",
        lat=place.compound.centre_lat, lng=place.compound.centre_lng, grid_id=place.grid.pk,
        compound_id=place.compound.pk, occurred_at=timezone.now(),
    )  # fmt: skip
    year = CalendarYear.objects.get(year=2026)
    policy = EscalationPolicy.objects.get(code="fire-emergency")
    for url in (f"/admin/cases/case/{case_id}/change/", f"/admin/cases/calendaryear/{year.pk}/change/",
                f"/admin/cases/escalationpolicy/{policy.pk}/change/"):  # fmt: skip
        assert admin_client.get(url).status_code == 200, url
    # Cases are changed by the workflow only.
    assert admin_client.post(f"/admin/cases/case/{case_id}/change/", {"status": "closed"}).status_code == 403
    assert Case.objects.get(pk=case_id).status == "dispatched"


def test_calendar_years_are_flagged_until_checked(admin_client) -> None:  # type: ignore[no-untyped-def]
    page = admin_client.get("/admin/cases/calendaryear/").content.decode()
    assert page.count("⚠") == 2  # 2026 and 2027, neither checked yet
    assert "请与国务院办公厅年度放假通知核对" in page  # the admin speaks Chinese by default
    CalendarYear.objects.filter(year=2026).update(checked=True)
    page = admin_client.get("/admin/cases/calendaryear/").content.decode()
    assert page.count("⚠") == 1

"""Gate guards (门岗保安): a guard reports around their compound, the report goes to the department its
category names without a dispatcher, and the guard sees what they reported and nothing else."""

import pytest
from django.contrib.auth.hashers import make_password
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case
from mobile.demo_seed import GUARD_USERNAME, seed_demo_mobile
from tests.cases.conftest import Place
from tests.cases.factories import CaseFactory
from tests.factories import CompoundFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user: User) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def _report(place: Place, category: str = "illegal-renovation") -> dict[str, object]:
    compound = place.compound
    return {"category": category, "lat": compound.centre_lat, "lng": compound.centre_lng,
            "description": "3 号楼 502 室拆承重墙"}  # fmt: skip


def test_a_renovation_report_goes_to_urban_management_without_a_dispatcher(
    place: Place, guard: User, catalogue: None
) -> None:
    response = _client(guard).post("/api/v1/cases/", _report(place), format="json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(pk=response.json()["id"])
    # No housing department in this street: the category's fallback, urban management, gets it.
    assert (case.status, case.department, case.reporter) == ("dispatched", place.urban, guard)
    assert list(case.events.values_list("action", flat=True)) == ["create", "file", "dispatch"]


def test_a_guard_sees_what_became_of_their_report_and_nothing_else(
    place: Place, guard: User, catalogue: None
) -> None:
    mine = _client(guard).post("/api/v1/cases/", _report(place), format="json").json()["id"]
    other = CaseFactory(compound=place.compound, status="dispatched")
    listed = _client(guard).get("/api/v1/cases/").json()["results"]
    assert [row["id"] for row in listed] == [mine]
    assert _client(guard).get(f"/api/v1/cases/{mine}/").json()["status"] == "dispatched"
    assert _client(guard).get(f"/api/v1/cases/{other.pk}/").status_code == 404


def test_a_guard_reports_only_around_their_compound(place: Place, guard: User, catalogue: None) -> None:
    elsewhere = CompoundFactory()  # another grid
    body = {"category": "fire-lane", "lat": elsewhere.centre_lat, "lng": elsewhere.centre_lng}
    response = _client(guard).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 403, response.content
    assert "gate guard" in response.json()["detail"]
    unbound = UserFactory(username="guard2", role=User.Role.GATE_GUARD)
    assert _client(unbound).post("/api/v1/cases/", _report(place), format="json").status_code == 403


def test_a_guard_may_not_work_cases(place: Place, guard: User, catalogue: None) -> None:
    case = CaseFactory(compound=place.compound, status="dispatched", reporter=guard, assignee=None)
    response = _client(guard).post(f"/api/v1/cases/{case.pk}/accept/", {}, format="json")
    assert response.status_code == 403
    assert "Gate guard" in response.json()["detail"]


def test_seed_adds_a_guard_of_a_demo_compound_once(place: Place) -> None:
    assert seed_demo_mobile(password_hash=make_password("demo12345")) == 1
    assert seed_demo_mobile(password_hash="unused") == 0
    guard = User.objects.get(username=GUARD_USERNAME)
    assert guard.role == User.Role.GATE_GUARD
    assert guard.check_password("demo12345")
    assert list(guard.guarded_compounds.all()) == [place.compound]  # type: ignore[attr-defined]

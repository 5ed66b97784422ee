"""Role × operation: every operation of the OpenAPI schema, called for real by every role and anonymous,
answers the status written in EXPECTED. An operation the schema has and the table lacks fails the first
test, naming it: a new endpoint needs its row (and a request in REQUESTS) before it ships.

Each call gets a fresh object in the state the operation needs (tests/command_center/api_world.py), so
a status says what the role may do, not what an earlier call left behind. A street official reads only;
a grid worker reports only inside their own grids."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from cases.models import Case, CaseEvent
from residents import mediation
from residents.catalogue import ensure_public_categories
from residents.models import CallbackTask, Rating, ResidentReport
from residents.services import new_tracking_code
from tests.command_center.api_world import ROLES, World, build_world, credentials
from tests.factories import CompoundFactory
from tests.people.api_world import people_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_passwords(settings):  # type: ignore[no-untyped-def]
    """Ten people per test: hashing their passwords the production way took most of its time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# fmt: off
#                                                           anonymous  dispatcher  grid_worker  handler  official  admin  gate_guard
EXPECTED: dict[tuple[str, str], tuple[int, int, int, int, int, int, int]] = {
    ("POST", "/api/v1/auth/token/"):                            (400,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/screen/snapshot"):                        (401,      200,        200,         403,     200,      200,  200),
    ("GET",  "/api/v1/screen/basemap"):                         (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/grids/"):                                 (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/grids/{id}/"):                            (401,      200,        200,         404,     200,      200,  404),
    ("GET",  "/api/v1/compounds/"):                             (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/compounds/{id}/"):                        (401,      200,        200,         200,     200,      200,  404),
    ("POST", "/api/v1/patrol-positions/"):                      (401,      403,        201,         403,     403,      403,  403),
    ("GET",  "/api/v1/sensor-points/"):                         (401,      200,        200,         200,     200,      200,  200),
    ("POST", "/api/v1/sensor-points/"):                         (401,      403,        403,         403,     403,      201,  403),
    ("GET",  "/api/v1/sensor-points/{id}/"):                    (401,      200,        200,         200,     200,      200,  404),
    ("GET",  "/api/v1/alarms/"):                                (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/alarms/{id}/"):                           (401,      200,        200,         200,     200,      200,  404),
    ("POST", "/api/v1/alarms/{id}/acknowledge/"):               (401,      200,        200,         200,     403,      200,  404),
    ("POST", "/api/v1/alarms/{id}/clear/"):                     (401,      200,        200,         403,     403,      200,  404),
    ("POST", "/api/v1/alarms/{id}/false-alarm/"):               (401,      200,        200,         403,     403,      200,  404),
    ("GET",  "/api/v1/dead-letters/"):                          (401,      200,        403,         403,     403,      200,  403),
    ("GET",  "/api/v1/dead-letters/{id}/"):                     (401,      200,        403,         403,     403,      200,  403),
    ("GET",  "/api/v1/categories/"):                            (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/categories/{id}/"):                       (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/cases/"):                                 (401,      200,        200,         200,     200,      200,  200),
    ("POST", "/api/v1/cases/"):                                 (401,      201,        201,         201,     403,      201,  201),
    ("GET",  "/api/v1/cases/queue/"):                           (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/cases/{id}/"):                            (401,      200,        200,         200,     200,      200,  200),
    ("POST", "/api/v1/cases/{id}/file/"):                       (401,      200,        403,         403,     403,      200,  403),
    ("POST", "/api/v1/cases/{id}/reject/"):                     (401,      200,        403,         403,     403,      200,  403),
    ("POST", "/api/v1/cases/{id}/merge/"):                      (401,      200,        403,         403,     403,      200,  403),
    ("POST", "/api/v1/cases/{id}/dispatch/"):                   (401,      200,        403,         403,     403,      200,  403),
    ("POST", "/api/v1/cases/{id}/return/"):                     (401,      403,        200,         200,     403,      403,  403),
    ("POST", "/api/v1/cases/{id}/accept/"):                     (401,      403,        200,         200,     403,      403,  403),
    ("POST", "/api/v1/cases/{id}/handle/"):                     (401,      403,        200,         200,     403,      403,  403),
    ("POST", "/api/v1/cases/{id}/verify/"):                     (401,      200,        200,         403,     403,      200,  403),
    ("POST", "/api/v1/cases/{id}/close/"):                      (401,      200,        403,         403,     403,      200,  403),
    ("POST", "/api/v1/cases/{id}/suspend/"):                    (401,      200,        403,         403,     403,      200,  403),
    ("POST", "/api/v1/cases/{id}/resume/"):                     (401,      200,        403,         403,     403,      200,  403),
    ("POST", "/api/v1/cases/{id}/request-extension/"):          (401,      403,        200,         200,     403,      403,  403),
    ("POST", "/api/v1/cases/{id}/approve-extension/"):          (401,      200,        403,         403,     403,      200,  403),
    ("POST", "/api/v1/cases/{id}/deny-extension/"):             (401,      200,        403,         403,     403,      200,  403),
    ("POST", "/api/v1/cases/{id}/reopen/"):                     (401,      200,        403,         403,     403,      200,  403),
    ("POST", "/api/v1/cases/{id}/rate/"):                       (401,      200,        403,         403,     403,      403,  403),
    # mobile
    ("GET",  "/api/v1/mobile/cases/{id}/context/"):             (401,      200,        200,         200,     200,      200,  200),
    # residents: public, without an account (a signed-in caller is a resident there too)
    ("POST", "/api/v1/resident-reports/"):                      (201,      201,        201,         201,     201,      201,  201),
    ("GET",  "/api/v1/resident-reports/nearby/"):               (200,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/resident-reports/{tracking_code}/"):      (200,      200,        200,         200,     200,      200,  200),
    ("POST", "/api/v1/resident-reports/{tracking_code}/rating/"): (201,    201,        201,         201,     201,      201,  201),
    ("GET",  "/api/v1/cases/{id}/resident-reports/"):           (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/mediators/"):                             (401,      200,        200,         403,     200,      200,  403),
    ("GET",  "/api/v1/mediations/"):                            (401,      200,        200,         403,     200,      200,  403),
    ("POST", "/api/v1/mediations/"):                            (401,      201,        201,         403,     403,      201,  403),
    ("GET",  "/api/v1/mediations/{id}/"):                       (401,      200,        200,         403,     200,      200,  403),
    ("POST", "/api/v1/mediations/{id}/sessions/"):              (401,      200,        200,         403,     403,      200,  403),
    ("POST", "/api/v1/mediations/{id}/outcome/"):               (401,      200,        200,         403,     403,      200,  403),
    ("POST", "/api/v1/mediations/{id}/follow-up/"):             (401,      200,        200,         403,     403,      200,  403),
    ("GET",  "/api/v1/callback-tasks/"):                        (401,      200,        200,         403,     200,      200,  403),
    ("POST", "/api/v1/callback-tasks/{id}/done/"):              (401,      200,        200,         403,     403,      200,  403),
    # stats
    ("GET",  "/api/v1/stats/weekly/"):                          (401,      200,        403,         403,     200,      200,  403),
    ("GET",  "/api/v1/stats/kpis/"):                            (401,      200,        403,         403,     200,      200,  403),
    # people
    ("GET",  "/api/v1/buildings/"):                             (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/buildings/{id}/"):                        (401,      200,        200,         200,     200,      200,  404),
    ("GET",  "/api/v1/flats/"):                                 (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/flats/{id}/"):                            (401,      200,        200,         200,     200,      200,  404),
    ("GET",  "/api/v1/rentals/"):                               (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/rentals/{id}/"):                          (401,      200,        200,         404,     200,      200,  404),
    ("GET",  "/api/v1/shops/"):                                 (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/shops/{id}/"):                            (401,      200,        200,         404,     200,      200,  404),
    ("GET",  "/api/v1/care-persons/"):                          (401,      200,        200,         200,     200,      200,  200),
    ("GET",  "/api/v1/care-persons/{id}/"):                     (401,      200,        200,         404,     200,      200,  404),
    ("GET",  "/api/v1/visits/"):                                (401,      200,        200,         200,     200,      200,  200),
    ("POST", "/api/v1/visits/"):                                (401,      403,        201,         403,     403,      201,  403),
    ("GET",  "/api/v1/visits/{id}/"):                           (401,      200,        200,         404,     200,      200,  404),
    ("GET",  "/api/v1/access-log/"):                            (401,      403,        403,         403,     403,      200,  403),
    ("GET",  "/api/v1/access-log/{id}/"):                       (401,      403,        403,         403,     403,      200,  403),
}
# fmt: on

Request = tuple[str, dict[str, Any]]  # path, JSON body


def _case_action(action: str, status: str, body: Callable[[World, Case], dict[str, Any]] | None = None):  # type: ignore[no-untyped-def]
    def request(world: World, role: str) -> Request:
        case = world.case(status)
        return f"/api/v1/cases/{case.pk}/{action}/", body(world, case) if body else {}

    return request


def _alarm_action(action: str):  # type: ignore[no-untyped-def]
    return lambda world, role: (f"/api/v1/alarms/{world.new_alarm().pk}/{action}/", {})


def _report(world: World, role: str) -> Request:
    compound = world.place.compound
    return "/api/v1/cases/", {
        "category": "exposed-garbage",
        "lat": compound.centre_lat,
        "lng": compound.centre_lng,
    }


def _new_point(world: World, role: str) -> Request:
    compound = world.place.compound
    return "/api/v1/sensor-points/", {"code": f"SD-NEW-{role}", "type": "smoke", "lat": compound.centre_lat,
                                      "lng": compound.centre_lng}  # fmt: skip


def _position(world: World, role: str) -> Request:
    compound = world.place.compound
    return "/api/v1/patrol-positions/", {"lat": compound.centre_lat, "lng": compound.centre_lng,
                                         "recorded_at": timezone.now().isoformat()}  # fmt: skip


def _resident_report(world: World, role: str) -> Request:
    ensure_public_categories()
    compound = world.place.compound
    return "/api/v1/resident-reports/", {
        "category": "exposed-garbage", "description": "垃圾满了", "lat": compound.centre_lat, "lng": compound.centre_lng,
    }  # fmt: skip


def _nearby(world: World) -> str:
    ensure_public_categories()
    compound = world.place.compound
    return f"/api/v1/resident-reports/nearby/?category=exposed-garbage&lat={compound.centre_lat}&lng={compound.centre_lng}"


def _tracked(world: World, status: str) -> str:
    """The tracking code of a resident's report of a new case in `status`."""
    case = world.case(status, source="resident")
    return ResidentReport.objects.create(
        tracking_code=new_tracking_code(), case=case, category=case.category, description="路灯不亮",
        lat=case.lat, lng=case.lng,
    ).tracking_code  # fmt: skip


def _mediation(world: World, *, decided: bool = False) -> int:
    """A new mediation order, open or (decided) referred."""
    order = mediation.open_order(
        type="noise", summary="楼上噪声",
        parties=[mediation.PartyInput("applicant", "王建华"), mediation.PartyInput("respondent", "李明")],
    )  # fmt: skip
    if decided:
        mediation.record_outcome(order_id=order.pk, agreed=False)
    return order.pk


def _callback(world: World) -> int:
    """A call-back task of a resident's 1-star rating."""
    report = ResidentReport.objects.get(tracking_code=_tracked(world, "dispatched"))
    rating = Rating.objects.create(report=report, case=report.case, stars=1, reopened=True)
    return CallbackTask.objects.create(rating=rating, case=report.case, community=report.case.community).pk


def _get(path: Callable[[World], str]):  # type: ignore[no-untyped-def]
    return lambda world, role: (path(world), {})


# (method, path) → how a call of it is made for a role: a valid request, so the status is the role's.
REQUESTS: dict[tuple[str, str], Callable[[World, str], Request]] = {
    ("POST", "/api/v1/auth/token/"): lambda world, role: ("/api/v1/auth/token/", credentials(role, world)),
    ("GET", "/api/v1/screen/snapshot"): _get(lambda w: "/api/v1/screen/snapshot?sections=kpis"),
    ("GET", "/api/v1/screen/basemap"): _get(lambda w: "/api/v1/screen/basemap"),
    ("GET", "/api/v1/grids/"): _get(lambda w: "/api/v1/grids/"),
    ("GET", "/api/v1/grids/{id}/"): _get(lambda w: f"/api/v1/grids/{w.place.grid.pk}/"),
    ("GET", "/api/v1/compounds/"): _get(lambda w: "/api/v1/compounds/"),
    ("GET", "/api/v1/compounds/{id}/"): _get(lambda w: f"/api/v1/compounds/{w.place.compound.pk}/"),
    ("POST", "/api/v1/patrol-positions/"): _position,
    ("GET", "/api/v1/sensor-points/"): _get(lambda w: "/api/v1/sensor-points/"),
    ("POST", "/api/v1/sensor-points/"): _new_point,
    ("GET", "/api/v1/sensor-points/{id}/"): _get(lambda w: f"/api/v1/sensor-points/{w.point.pk}/"),
    ("GET", "/api/v1/alarms/"): _get(lambda w: "/api/v1/alarms/"),
    ("GET", "/api/v1/alarms/{id}/"): _get(lambda w: f"/api/v1/alarms/{w.alarm.pk}/"),
    ("POST", "/api/v1/alarms/{id}/acknowledge/"): _alarm_action("acknowledge"),
    ("POST", "/api/v1/alarms/{id}/clear/"): _alarm_action("clear"),
    ("POST", "/api/v1/alarms/{id}/false-alarm/"): _alarm_action("false-alarm"),
    ("GET", "/api/v1/dead-letters/"): _get(lambda w: "/api/v1/dead-letters/"),
    ("GET", "/api/v1/dead-letters/{id}/"): _get(lambda w: f"/api/v1/dead-letters/{w.dead_letter.pk}/"),
    ("GET", "/api/v1/categories/"): _get(lambda w: "/api/v1/categories/"),
    ("GET", "/api/v1/categories/{id}/"): _get(lambda w: f"/api/v1/categories/{w.category.pk}/"),
    ("GET", "/api/v1/cases/"): _get(lambda w: "/api/v1/cases/"),
    ("POST", "/api/v1/cases/"): _report,
    ("GET", "/api/v1/cases/queue/"): _get(lambda w: "/api/v1/cases/queue/"),
    ("GET", "/api/v1/cases/{id}/"): _get(lambda w: f"/api/v1/cases/{w.cases['dispatched'].pk}/"),
    ("POST", "/api/v1/cases/{id}/file/"): _case_action("file", "discovered"),
    ("POST", "/api/v1/cases/{id}/reject/"): _case_action("reject", "discovered", lambda w, c: {"reason": "false_alarm"}),
    ("POST", "/api/v1/cases/{id}/merge/"): _case_action("merge", "discovered", lambda w, c: {"into": w.case("filed").pk}),
    ("POST", "/api/v1/cases/{id}/dispatch/"): _case_action("dispatch", "filed", lambda w, c: {"department": "prop-a"}),
    ("POST", "/api/v1/cases/{id}/return/"): _case_action("return", "dispatched", lambda w, c: {"note": "不归我们管"}),
    ("POST", "/api/v1/cases/{id}/accept/"): _case_action("accept", "dispatched"),
    ("POST", "/api/v1/cases/{id}/handle/"): _case_action("handle", "in_progress", lambda w, c: {"note": "已处理"}),
    ("POST", "/api/v1/cases/{id}/verify/"): _case_action("verify", "handled", lambda w, c: {"passed": True}),
    ("POST", "/api/v1/cases/{id}/close/"): _case_action("close", "verified", lambda w, c: {"evaluation": "good"}),
    ("POST", "/api/v1/cases/{id}/suspend/"): _case_action("suspend", "filed", lambda w, c: {"note": "等待业主"}),
    ("POST", "/api/v1/cases/{id}/resume/"): _case_action("resume", "suspended"),
    ("POST", "/api/v1/cases/{id}/request-extension/"): _case_action(
        "request-extension", "dispatched",
        lambda w, c: {"note": "需要配件", "until": (c.deadline + timedelta(days=2)).isoformat()}),
    ("POST", "/api/v1/cases/{id}/approve-extension/"): _case_action("approve-extension", "dispatched"),
    ("POST", "/api/v1/cases/{id}/deny-extension/"): _case_action("deny-extension", "dispatched"),
    ("POST", "/api/v1/cases/{id}/reopen/"): _case_action("reopen", "closed"),
    ("POST", "/api/v1/cases/{id}/rate/"): _case_action("rate", "closed", lambda w, c: {"stars": 4}),
    # residents
    ("POST", "/api/v1/resident-reports/"): _resident_report,
    ("GET", "/api/v1/resident-reports/nearby/"): _get(lambda w: _nearby(w)),
    ("GET", "/api/v1/resident-reports/{tracking_code}/"): _get(lambda w: f"/api/v1/resident-reports/{_tracked(w, 'dispatched')}/"),
    ("POST", "/api/v1/resident-reports/{tracking_code}/rating/"): lambda w, role: (
        f"/api/v1/resident-reports/{_tracked(w, 'closed')}/rating/", {"stars": 5}),
    ("GET", "/api/v1/cases/{id}/resident-reports/"): _get(lambda w: f"/api/v1/cases/{w.cases['dispatched'].pk}/resident-reports/"),
    ("GET", "/api/v1/mediators/"): _get(lambda w: "/api/v1/mediators/"),
    ("GET", "/api/v1/mediations/"): _get(lambda w: "/api/v1/mediations/"),
    ("POST", "/api/v1/mediations/"): lambda w, role: ("/api/v1/mediations/", {"type": "noise", "summary": "楼上噪声",
        "parties": [{"side": "applicant", "name": "王建华"}, {"side": "respondent", "name": "李明"}]}),
    ("GET", "/api/v1/mediations/{id}/"): _get(lambda w: f"/api/v1/mediations/{_mediation(w)}/"),
    ("POST", "/api/v1/mediations/{id}/sessions/"): lambda w, role: (f"/api/v1/mediations/{_mediation(w)}/sessions/",
        {"at": timezone.now().isoformat(), "place": "社区调解室"}),
    ("POST", "/api/v1/mediations/{id}/outcome/"): lambda w, role: (f"/api/v1/mediations/{_mediation(w)}/outcome/",
        {"agreed": False, "note": "分歧大"}),
    ("POST", "/api/v1/mediations/{id}/follow-up/"): lambda w, role: (
        f"/api/v1/mediations/{_mediation(w, decided=True)}/follow-up/", {"result": "held"}),
    ("GET", "/api/v1/callback-tasks/"): _get(lambda w: "/api/v1/callback-tasks/"),
    ("POST", "/api/v1/callback-tasks/{id}/done/"): lambda w, role: (f"/api/v1/callback-tasks/{_callback(w)}/done/",
        {"note": "已回访，居民表示理解"}),
    # stats
    ("GET", "/api/v1/stats/weekly/"): _get(lambda w: "/api/v1/stats/weekly/?week=2026-W47"),
    ("GET", "/api/v1/stats/kpis/"): _get(lambda w: "/api/v1/stats/kpis/?period=week&date=2026-11-20"),
    # people
    ("GET", "/api/v1/buildings/"): _get(lambda w: "/api/v1/buildings/"),
    ("GET", "/api/v1/buildings/{id}/"): _get(lambda w: f"/api/v1/buildings/{people_rows(w).building_id}/"),
    ("GET", "/api/v1/flats/"): _get(lambda w: "/api/v1/flats/"),
    ("GET", "/api/v1/flats/{id}/"): _get(lambda w: f"/api/v1/flats/{people_rows(w).flat.pk}/"),
    ("GET", "/api/v1/rentals/"): _get(lambda w: "/api/v1/rentals/?ending=true"),
    ("GET", "/api/v1/rentals/{id}/"): _get(lambda w: f"/api/v1/rentals/{people_rows(w).rental.pk}/"),
    ("GET", "/api/v1/shops/"): _get(lambda w: "/api/v1/shops/"),
    ("GET", "/api/v1/shops/{id}/"): _get(lambda w: f"/api/v1/shops/{people_rows(w).shop.pk}/"),
    ("GET", "/api/v1/care-persons/"): _get(lambda w: "/api/v1/care-persons/"),
    ("GET", "/api/v1/care-persons/{id}/"): _get(lambda w: f"/api/v1/care-persons/{people_rows(w).care_person.pk}/"),
    ("GET", "/api/v1/visits/"): _get(lambda w: "/api/v1/visits/"),
    ("POST", "/api/v1/visits/"): lambda w, role: ("/api/v1/visits/", {"care_person": people_rows(w).care_person.pk,
                                                                       "note": "精神好"}),
    ("GET", "/api/v1/visits/{id}/"): _get(lambda w: f"/api/v1/visits/{people_rows(w).visit.pk}/"),
    ("GET", "/api/v1/access-log/"): _get(lambda w: "/api/v1/access-log/"),
    ("GET", "/api/v1/access-log/{id}/"): _get(lambda w: f"/api/v1/access-log/{people_rows(w).access.pk}/"),
    # mobile
    ("GET", "/api/v1/mobile/cases/{id}/context/"): _get(lambda w: f"/api/v1/mobile/cases/{w.cases['dispatched'].pk}/context/"),
}  # fmt: skip
# Writes anyone may make without an account: a street official's phone reports as a resident's does.
PUBLIC_WRITES = {"/api/v1/resident-reports/", "/api/v1/resident-reports/{tracking_code}/rating/"}


def schema_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted((method.upper(), path) for path, methods in schema["paths"].items() for method in methods)


def test_every_operation_of_the_schema_has_a_row() -> None:
    operations = schema_operations()
    missing = [f"{method} {path}" for method, path in operations if (method, path) not in EXPECTED]
    assert not missing, f"operations without a row in EXPECTED (and REQUESTS): {missing}"
    gone = [f"{method} {path}" for method, path in EXPECTED if (method, path) not in operations]
    assert not gone, f"rows of EXPECTED for operations the schema no longer has: {gone}"
    assert set(REQUESTS) == set(EXPECTED)


@pytest.mark.parametrize("operation", list(EXPECTED), ids=" ".join)
def test_each_role_gets_the_expected_status(operation: tuple[str, str]) -> None:
    world = build_world()
    method, _path = operation
    answered: dict[str, int] = {}
    for role in ROLES:
        path, body = REQUESTS[operation](world, role)
        response = world.client(role).generic(method, path, data=_json(body), content_type="application/json")
        answered[role] = response.status_code
        if response.status_code >= 400:
            assert response["Content-Type"] == "application/json", (role, response.content)
            assert response.json()["detail"], (role, response.content)
    assert answered == dict(zip(ROLES, EXPECTED[operation], strict=True))


def test_a_street_officials_writes_change_nothing() -> None:
    world = build_world()
    official = world.client("official")
    before = {case.pk: case.version for case in Case.objects.all()}
    events = CaseEvent.objects.count()
    for method, path in EXPECTED:
        if method == "POST" and path != "/api/v1/auth/token/" and path not in PUBLIC_WRITES:
            url, body = REQUESTS[(method, path)](world, "official")
            response = official.generic(method, url, data=_json(body), content_type="application/json")
            assert response.status_code == 403, (path, response.content)
            assert "official" in response.json()["detail"], path
    assert {case.pk: case.version for case in Case.objects.filter(pk__in=before)} == before
    assert CaseEvent.objects.count() == events


def test_a_grid_worker_reports_only_inside_their_own_grids() -> None:
    world = build_world()
    elsewhere = world.case("discovered").compound  # same grid: allowed
    assert elsewhere.grid.workers.filter(pk=world.users["grid_worker"].pk).exists()
    other = CompoundFactory()  # another grid of the street, not theirs
    body = {"category": "exposed-garbage", "lat": other.centre_lat, "lng": other.centre_lng}
    count = Case.objects.count()
    response = world.client("grid_worker").post("/api/v1/cases/", body, format="json")
    assert response.status_code == 403, response.content
    assert "own grids" in response.json()["detail"]
    assert Case.objects.count() == count
    # The dispatcher may report there.
    assert world.client("dispatcher").post("/api/v1/cases/", body, format="json").status_code == 201


def _json(body: dict[str, Any]) -> str:
    return json.dumps(body)

"""The people API: lists never leak personal data; a detail read with a reason unmasks what the role may
read and writes the access log; visits are recorded from the phone, retry-safe; scoping like cases."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import PersonalDataAccess, User
from people.models import Visit
from tests.factories import UserFactory
from tests.people.factories import CarePersonFactory, ContactFactory, RentalFactory, ShopStaffFactory

pytestmark = pytest.mark.django_db

# The staff roles that work with people's data; a gate guard has none of it (tested below).
ROLES = [role for role, _label in User.Role.choices if role != User.Role.GATE_GUARD]
FULL = {"name": "孙桂兰", "phone": "13512345678", "id_number": "310109194501011234"}
MASKED = {"name": "孙*兰", "phone": "135****5678", "id_number": "3101************34"}
# What a detail read with a reason shows unmasked, per role (accounts/privacy.py UNMASKABLE).
UNMASKED_BY_ROLE = {
    User.Role.DISPATCHER: {"name", "phone"},
    User.Role.GRID_WORKER: {"name", "phone", "id_number"},
    User.Role.HANDLER: set(),
    User.Role.OFFICIAL: set(),
    User.Role.ADMIN: {"name", "phone", "id_number"},
}


def client_for(user: User) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def person_in_scope_of(role: str):  # type: ignore[no-untyped-def]
    care_person = CarePersonFactory(person__name=FULL["name"], person__phone=FULL["phone"])
    care_person.person.set_id_number(FULL["id_number"])
    care_person.person.save()
    grid = care_person.person.household.flat.unit.building.compound.grid
    user = UserFactory(role=role)
    if role == User.Role.GRID_WORKER:
        grid.workers.add(user)
    if role == User.Role.OFFICIAL:
        grid.community.street.officials.add(user)
    if role == User.Role.HANDLER:  # a handler is not in the scope of people: the care person is assigned
        care_person.worker = user
        care_person.save(update_fields=["worker"])
    return care_person, user


@pytest.mark.parametrize("role", ROLES)
def test_lists_are_masked_for_every_role_and_field(role: str) -> None:
    _care_person, user = person_in_scope_of(role)
    rows = client_for(user).get("/api/v1/care-persons/").json()["results"]
    assert [{field: row[field] for field in FULL} for row in rows] == [MASKED]
    assert PersonalDataAccess.objects.count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_a_detail_unmasks_what_the_role_may_with_a_reason_and_logs_it(role: str) -> None:
    care_person, user = person_in_scope_of(role)
    client = client_for(user)
    url = f"/api/v1/care-persons/{care_person.pk}/"
    plain = client.get(url).json()
    assert {field: plain[field] for field in FULL} == MASKED
    response = client.get(url, {"reason": "上门走访前电话联系"})
    allowed = UNMASKED_BY_ROLE[role]
    if not allowed:
        assert response.status_code == 403, response.content
        assert PersonalDataAccess.objects.count() == 0
        return
    body = response.json()
    assert {field: body[field] for field in FULL} == {f: FULL[f] if f in allowed else MASKED[f] for f in FULL}
    log = PersonalDataAccess.objects.filter(user=user)
    assert set(log.values_list("field", flat=True)) == allowed
    assert set(log.values_list("reason", flat=True)) == {"上门走访前电话联系"}
    assert set(log.values_list("object_id", flat=True)) == {str(care_person.pk)}


def test_a_gate_guard_sees_nobody() -> None:
    care_person, guard = person_in_scope_of(User.Role.GATE_GUARD)
    client = client_for(guard)
    assert client.get("/api/v1/care-persons/").json()["results"] == []
    assert client.get(f"/api/v1/care-persons/{care_person.pk}/").status_code == 404


def test_an_empty_reason_is_refused_and_logs_nothing() -> None:
    care_person, user = person_in_scope_of(User.Role.GRID_WORKER)
    response = client_for(user).get(f"/api/v1/care-persons/{care_person.pk}/", {"reason": " "})
    assert response.status_code == 400
    assert "reason" in response.json()
    assert PersonalDataAccess.objects.count() == 0


def test_contacts_and_staff_follow_their_parents_mask() -> None:
    contact = ContactFactory()
    admin = UserFactory(role=User.Role.ADMIN)
    client = client_for(admin)
    url = f"/api/v1/care-persons/{contact.care_person.pk}/"
    assert client.get(url).json()["contacts"][0]["phone"] == "139****4321"
    assert client.get(url, {"reason": "紧急联系"}).json()["contacts"][0]["phone"] == "13987654321"
    staff = ShopStaffFactory()
    shop = client.get(f"/api/v1/shops/{staff.shop.pk}/").json()
    assert (shop["contact_name"], shop["staff"][0]["name"]) == ("陈*强", "刘*")


def test_rentals_are_masked_and_the_ending_filter_lists_leases_ending() -> None:
    rental = RentalFactory()
    ending = RentalFactory(lease_end=rental.lease_start.__class__.today())
    dispatcher = client_for(UserFactory(role=User.Role.DISPATCHER))
    rows = dispatcher.get("/api/v1/rentals/", {"ending": "true"}).json()["results"]
    assert [(row["id"], row["tenant_name"], row["tenant_phone"], row["lease_ending"]) for row in rows] == [
        (ending.pk, "赵*明", "139****5678", True)
    ]
    detail = dispatcher.get(f"/api/v1/rentals/{rental.pk}/", {"reason": "核查群租"}).json()
    assert detail["tenant_name"] == "赵小明"


def test_a_grid_worker_records_a_visit_once_per_idempotency_key() -> None:
    care_person, worker = person_in_scope_of(User.Role.GRID_WORKER)
    building = care_person.person.household.flat.unit.building
    client = client_for(worker)
    body = {
        "care_person": care_person.pk,
        "lat": building.lat,
        "lng": building.lng,
        "accuracy": 15,
        "note": "好",
    }
    first = client.post("/api/v1/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY="visit-1")
    again = client.post("/api/v1/visits/", body, format="json", HTTP_IDEMPOTENCY_KEY="visit-1")
    assert first.status_code == again.status_code == 201, first.content
    assert first.json()["place_checked"] is True
    assert again["Idempotent-Replayed"] == "true"
    assert Visit.objects.count() == 1


def test_a_visit_to_someone_outside_the_workers_grids_is_refused() -> None:
    elsewhere = CarePersonFactory()
    mine, worker = person_in_scope_of(User.Role.GRID_WORKER)
    client = client_for(worker)
    response = client.post("/api/v1/visits/", {"care_person": elsewhere.pk}, format="json")
    assert response.status_code == 400
    assert "care_person" in response.json()
    half = client.post("/api/v1/visits/", {"care_person": mine.pk, "lat": 31.2}, format="json")
    assert half.status_code == 400
    assert Visit.objects.count() == 0


def test_only_administrators_read_the_access_log() -> None:
    care_person, worker = person_in_scope_of(User.Role.GRID_WORKER)
    client_for(worker).get(f"/api/v1/care-persons/{care_person.pk}/", {"reason": "回访"})
    rows = client_for(UserFactory(role=User.Role.ADMIN)).get("/api/v1/access-log/").json()["results"]
    assert {(row["field"], row["reason"], row["object_type"]) for row in rows} == {
        ("name", "回访", "people.careperson"),
        ("phone", "回访", "people.careperson"),
        ("id_number", "回访", "people.careperson"),
    }
    assert client_for(UserFactory(role=User.Role.DISPATCHER)).get("/api/v1/access-log/").status_code == 403

"""A small street with one person per role and a token each, for the API contract tests (the role matrix,
Schemathesis): cases in every state, sensor points with alarms, a dead letter.

The street official is the street's own (they see its rows), so a refused write is the read-only rule
and not a 404 of scope; the handler works for the property company the cases are dispatched to; the
grid worker works the cases' grid and is their assignee."""

from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count
from typing import Any

from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User
from cases.defaults import ensure_default_catalogue
from cases.models import Case, Category
from devices.models import Alarm, DeadLetter, SensorPoint
from tests.cases.conftest import Place, make_place
from tests.cases.factories import CaseFactory, CategoryFactory
from tests.devices.factories import scene
from tests.factories import PASSWORD

ROLES = ("anonymous", "dispatcher", "grid_worker", "handler", "official", "admin")
_numbers = count(1)


@dataclass
class World:
    place: Place
    users: dict[str, User]
    tokens: dict[str, str]
    category: Category
    point: SensorPoint
    alarm: Alarm
    dead_letter: DeadLetter
    cases: dict[str, Case] = field(default_factory=dict)  # one per status

    def client(self, role: str) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Token {self.tokens[role]}")
        return client

    def case(self, status: str, **fields: Any) -> Case:
        """A new case in `status` in the grid worker's grid, dispatched to the handler's company and the
        grid worker, handled (where it was) by the other grid worker, with an extension asked for."""
        now = timezone.now()
        values: dict[str, Any] = {
            "compound": self.place.compound,
            "category": self.category,
            "status": status,
            "department": self.place.property_company,
            "assignee": self.place.grid_worker,
            "handled_by": self.place.other_grid_worker
            if status in ("handled", "verified", "closed")
            else None,
            "deadline": now + timedelta(hours=2),
            "handle_deadline": now + timedelta(hours=2),
            "extension_until": now + timedelta(days=1) if status in ("dispatched", "in_progress") else None,
            "status_before_suspend": "dispatched" if status == "suspended" else "",
            "evaluation": "good" if status == "closed" else "",
            **fields,
        }
        return CaseFactory(**values)  # type: ignore[no-any-return]

    def new_point(self) -> SensorPoint:
        compound = self.place.compound
        return SensorPoint.objects.create(
            code=f"SD-W{next(_numbers):05d}", scene=scene("smoke"), sensor_type="smoke", lat=compound.centre_lat,
            lng=compound.centre_lng, grid=compound.grid, compound=compound, department=self.place.property_company,
        )  # fmt: skip

    def new_alarm(self) -> Alarm:
        now = timezone.now()
        point = self.new_point()
        return Alarm.objects.create(
            point=point, scene=point.scene, type="smoke", severity="critical", first_seen=now, last_seen=now,
            raised_at=now, last_value=1,
        )  # fmt: skip


def build_world() -> World:
    ensure_default_catalogue()
    place = make_place()
    users = {
        "dispatcher": place.dispatcher,
        "grid_worker": place.grid_worker,
        "handler": place.property_handler,
        "official": place.leader,  # an official of the place's street
        "admin": place.admin,
    }
    tokens = {role: Token.objects.create(user=user).key for role, user in users.items()}
    category = CategoryFactory(code="world-litter", parent=Category.objects.get(code="appearance"))
    world = World(
        place=place, users=users, tokens=tokens, category=category, point=None,  # type: ignore[arg-type]
        alarm=None,  # type: ignore[arg-type]
        dead_letter=DeadLetter.objects.create(
            reason="malformed_json", topic="sensors/SD-X/data", device_code="SD-X", payload=b"{oops",
            received_at=timezone.now(),
        ),
    )  # fmt: skip
    world.point = world.new_point()
    world.alarm = world.new_alarm()
    for status in Case.Status.values:
        world.cases[status] = world.case(status)
    return world


def credentials(role: str, world: World) -> dict[str, str]:
    """What a person of `role` logs in with (anonymous: a wrong password)."""
    if role == "anonymous":
        return {"username": world.users["dispatcher"].username, "password": "not-the-password"}
    return {"username": world.users[role].username, "password": PASSWORD}

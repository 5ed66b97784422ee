"""A small street for the wall screen tests: two streets, grids, people, sensors, alarms and cases.

Alarms and cases are written straight to their tables here (tests may; the screen code only reads them).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case, Category
from devices.catalogue import ensure_default_scenes
from devices.models import Alarm, Scene, SensorPoint
from grids.geometry import rectangle
from grids.models import Compound, Grid
from tests.factories import CommunityFactory, CompoundFactory, GridFactory, StreetFactory, UserFactory


@dataclass
class World:
    street_grids: list[Grid]  # three grids of street A
    other_grid: Grid  # a grid of street B
    compounds: list[Compound]
    dispatcher: User
    official: User  # official of street A
    worker: User  # grid worker of street_grids[0]
    handler: User
    scenes: dict[str, Scene] = field(default_factory=dict)

    @property
    def grids(self) -> list[Grid]:
        return [*self.street_grids, self.other_grid]


def make_point(grid: Grid, *, code: str, scene: Scene, online: bool = True, **fields: Any) -> SensorPoint:
    now = timezone.now()
    return SensorPoint.objects.create(
        code=code,
        scene=scene,
        sensor_type=scene.sensor_type,
        lat=fields.pop("lat", grid.centre_lat),
        lng=fields.pop("lng", grid.centre_lng),
        grid=grid,
        last_seen_at=now if online else now - timedelta(hours=2),
        offline_after=now + timedelta(minutes=15) if online else now - timedelta(hours=1),
        **fields,
    )


def make_alarm(
    point: SensorPoint, *, severity: str = "critical", cleared: bool = False, **fields: Any
) -> Alarm:
    now = timezone.now()
    raised = fields.pop("raised_at", now)
    return Alarm.objects.create(
        point=point,
        scene=fields.pop("scene", point.scene),
        type=fields.pop("type", point.sensor_type),
        severity=severity,
        first_seen=raised,
        last_seen=raised,
        raised_at=raised,
        cleared_at=now if cleared else None,
        **fields,
    )


def category(code: str = "fire-smoke", name: str = "烟感报警") -> Category:
    return Category.objects.get_or_create(code=code, defaults={"name": name, "severity": "major"})[0]


def make_case(grid: Grid | None, *, status: str = "dispatched", **fields: Any) -> Case:
    now = timezone.now()
    return Case.objects.create(
        source=fields.pop("source", Case.Source.SENSOR),
        category=fields.pop("category", None) or category(),
        title=fields.pop("title", "烟感报警 YG-1"),
        severity=fields.pop("severity", "major"),
        status=status,
        lat=fields.pop("lat", grid.centre_lat if grid else 31.27),
        lng=fields.pop("lng", grid.centre_lng if grid else 121.48),
        grid=grid,
        community=grid.community if grid else None,
        created_at=fields.pop("created_at", now),
        **fields,
    )


@pytest.fixture
def api_client() -> APIClient:
    """Answers in English, so the tests can read the messages (the default language is Chinese)."""
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    ensure_default_scenes()
    street_a = StreetFactory(code="310109011", name="广中路街道")
    street_b = StreetFactory(code="310109012", name="凉城新村街道")
    community_a1 = CommunityFactory(street=street_a, code="310109011001", name="广中一村")
    community_a2 = CommunityFactory(street=street_a, code="310109011002", name="商业一村")
    community_b = CommunityFactory(street=street_b, code="310109012001", name="凉城一村")
    grids = [
        GridFactory(community=community_a1, code="310109011001001", name="第1网格", boundary=_cell(0)),
        GridFactory(community=community_a1, code="310109011001002", name="第2网格", boundary=_cell(1)),
        GridFactory(community=community_a2, code="310109011002001", name="第3网格", boundary=_cell(2)),
    ]
    other = GridFactory(community=community_b, code="310109012001001", name="凉城第1网格", boundary=_cell(3))
    compounds = [CompoundFactory(grid=grid) for grid in grids]
    dispatcher = UserFactory(username="dispatcher", role=User.Role.DISPATCHER, first_name="值班员")
    official = UserFactory(username="official", role=User.Role.OFFICIAL, first_name="街道领导")
    street_a.officials.add(official)
    worker = UserFactory(username="worker", role=User.Role.GRID_WORKER, first_name="网格员甲")
    grids[0].workers.add(worker)
    handler = UserFactory(username="handler", role=User.Role.HANDLER, first_name="物业")
    return World(
        street_grids=grids,
        other_grid=other,
        compounds=compounds,
        dispatcher=dispatcher,
        official=official,
        worker=worker,
        handler=handler,
        scenes={scene.code: scene for scene in Scene.objects.all()},
    )


def _cell(n: int, size: float = 0.004) -> dict:
    west = 121.47 + n * size
    return rectangle(west, 31.26, west + size, 31.26 + size)

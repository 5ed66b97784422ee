"""Demo history for /stats/ and the weekly report: cases of the last weeks (and the same weeks a year
earlier, for 同比) run through the real workflow at past moments, so every KPI has something to show.

create_case reads the clock (timezone.now); the demo sets that clock to each case's past moment while it
creates it, and passes the moment of every later step to apply_transition (`at`)."""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from unittest import mock

from django.utils import timezone

from accounts.models import Department, User
from cases.models import Case, Category
from cases.photos import PhotoUpload
from cases.services import create_case
from cases.workflow import NonStaff, WorkflowError, apply_transition
from grids.models import Compound

from .periods import SHANGHAI

SEED = 23
CASES_PER_DAY = 5
RECENT_DAYS = 28
# The smallest JPEG the photo check accepts: the demo's "after" photo.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
SOURCES = (
    [Case.Source.PATROL] * 5 + [Case.Source.RESIDENT] * 2 + [Case.Source.HOTLINE] * 2 + [Case.Source.VIDEO]
)
DEPARTMENT_OF_KIND = {"urban_management": "urban-management", "water": "water", "housing": "housing"}


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


class Story:
    """One case's life, step by step, stopping at `now` (later steps have not happened yet)."""

    def __init__(self, rng: random.Random, now: datetime, people: dict[str, list[User]]) -> None:
        self.rng, self.now, self.people = rng, now, people

    def step(self, case_id: int, at: datetime, action: str, **kwargs: object) -> bool:
        if at >= self.now:
            return False
        try:
            apply_transition(case_id=case_id, action=action, at=at, **kwargs)  # type: ignore[arg-type]  # actor, role, note, params, photos
        except WorkflowError:
            return False
        return True

    def minutes(self, low: int, high: int) -> timedelta:
        return timedelta(minutes=self.rng.randint(low, high))

    def run(self, started: datetime, category: Category, compound: Compound) -> None:
        rng, dispatcher = self.rng, self.people["dispatcher"][0]
        with clock_at(started):
            case = create_case(
                source=rng.choice(SOURCES),
                category_code=category.code,
                lat=compound.centre_lat,
                lng=compound.centre_lng,
                compound_id=compound.pk,
                grid_id=compound.grid_id,
                locate=False,
                role=NonStaff.SYSTEM,
                auto=False,
            )
        at = started + self.minutes(3, 40)
        if rng.random() < 0.05:
            self.step(case.pk, at, "reject", actor=dispatcher, params={"reason": "false_alarm"})
            return
        if not self.step(case.pk, at, "file", actor=dispatcher):
            return
        worker = rng.choice(self.people["grid_worker"])
        department = DEPARTMENT_OF_KIND.get(category.default_department_kind, "street-office")
        dispatch = {"department": department, "assignee": worker.username}
        at += self.minutes(5, 60)
        if not self.step(case.pk, at, "dispatch", actor=dispatcher, params=dispatch):
            return
        if rng.random() < 0.07:
            at += self.minutes(10, 90)
            self.step(case.pk, at, "return", actor=worker, note="不属于本单位职责")
            at += self.minutes(10, 60)
            if not self.step(case.pk, at, "dispatch", actor=dispatcher, params=dispatch):
                return
        self.handle(case.pk, worker, at, late=rng.random() < 0.12)

    def handle(self, case_id: int, worker: User, at: datetime, *, late: bool) -> None:
        rng, dispatcher = self.rng, self.people["dispatcher"][0]
        at += self.minutes(5, 120)
        if not self.step(case_id, at, "accept", actor=worker):
            return
        if rng.random() < 0.03:
            self.step(
                case_id, at + self.minutes(10, 60), "suspend", actor=dispatcher, note="等待产权单位确认"
            )
            return
        deadline = Case.objects.values_list("deadline", flat=True).get(pk=case_id)
        if late and deadline is not None:
            self.step(case_id, deadline + timedelta(minutes=1), "mark_overdue")
            at = max(at, deadline) + self.minutes(30, 600)
        else:
            at += self.minutes(15, 240)
            if deadline is not None:
                at = min(at, deadline - timedelta(minutes=1))
        photo = {"photos": [_photo()]}
        if not self.step(case_id, at, "handle", actor=worker, note="已处置", **photo):
            return
        at += self.minutes(10, 120)
        if rng.random() < 0.06:
            if self.step(
                case_id, at, "verify", actor=dispatcher, params={"passed": False}, note="仍未清理干净"
            ):
                self.handle(case_id, worker, at, late=False)
            return
        if not self.step(case_id, at, "verify", actor=dispatcher, params={"passed": True}):
            return
        at += self.minutes(5, 60)
        if not self.step(case_id, at, "close", actor=dispatcher, params={"evaluation": "good"}):
            return
        if rng.random() < 0.6:
            stars = rng.choice([5, 5, 5, 4, 4, 3])
            self.step(
                case_id, at + self.minutes(30, 1440), "rate", role=NonStaff.RESIDENT, params={"stars": stars}
            )


def _photo() -> PhotoUpload:
    return PhotoUpload(content=JPEG, name="after.jpg")


def _days(today: date) -> list[date]:
    recent = [today - timedelta(days=n) for n in range(RECENT_DAYS, -1, -1)]
    year_ago = [day - timedelta(days=364) for day in recent[-14:]]
    return year_ago + recent


def seed_demo_stats(*, today: date | None = None, per_day: int = CASES_PER_DAY) -> int:
    """Create the demo history once (nothing when cases exist already); returns the cases created."""
    if Case.objects.exists():
        return 0
    categories = list(
        Category.objects.filter(parent__isnull=False, enabled=True).exclude(
            evidence_required=Category.Evidence.BEFORE_AFTER
        )
    )
    compounds = list(Compound.objects.all()[:200])
    people = {
        "dispatcher": list(User.objects.filter(role=User.Role.DISPATCHER, is_active=True)[:1]),
        "grid_worker": list(User.objects.filter(role=User.Role.GRID_WORKER, is_active=True)[:20]),
    }
    if not (categories and compounds and all(people.values())) or not Department.objects.exists():
        return 0
    now = timezone.now()
    rng = random.Random(SEED)
    story = Story(rng, now, people)
    today = today or timezone.localdate()
    created = 0
    for day in _days(today):
        for _ in range(per_day + rng.randint(-2, 2)):
            started = datetime.combine(day, time(rng.randint(7, 20), rng.randint(0, 59)), tzinfo=SHANGHAI)
            if started >= now:
                continue
            story.run(started, rng.choice(categories), rng.choice(compounds))
            created += 1
    return created

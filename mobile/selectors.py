"""Reads of /m/: what a phone shows around a case it may see (contacts, the sensor's readings, its alarm)."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import User
from cases.models import Case
from cases.selectors import cases_for
from devices.models import Alarm, Reading, SensorPoint

READINGS_WINDOW = timedelta(hours=24)
MAX_READINGS = 96
# Who may mark an alarm false (devices/api/views.py: the roles that clear alarms).
MARKS_FALSE_ALARMS = {User.Role.ADMIN, User.Role.DISPATCHER, User.Role.GRID_WORKER}


@dataclass
class CaseContext:
    case_id: int
    contacts: list[dict[str, str]] = field(default_factory=list)
    sensor_code: str = ""
    sensor_type: str = ""
    readings: list[dict[str, Any]] = field(default_factory=list)
    alarm: dict[str, Any] | None = None


def case_context(user: User, case_id: int) -> CaseContext | None:
    """The contacts, sensor readings and alarm of case `case_id`; None when the user may not see it."""
    case = (
        cases_for(user)
        .select_related("compound__property_company", "department", "assignee", "grid")
        .defer("compound__boundary", "grid__boundary")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return None
    context = CaseContext(case_id=case.pk, contacts=_contacts(case))
    if case.sensor_code:
        _add_sensor(context, case, user)
    return context


def _contacts(case: Case) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    company = case.compound.property_company if case.compound else None
    if case.compound is not None and company is not None:
        rows.append({"title": case.compound.name, "name": company.name, "phone": company.phone})
    if case.department is not None and case.department != company:
        department = case.department
        rows.append({"title": _verbose("department"), "name": department.name, "phone": department.phone})
    if case.assignee is not None:
        assignee = case.assignee
        rows.append({"title": _verbose("assignee"), "name": str(assignee), "phone": assignee.phone})
    if case.grid is not None:
        workers = User.objects.filter(grids=case.grid, is_active=True).exclude(pk=case.assignee_id or 0)
        rows += [
            {"title": case.grid.name, "name": str(worker), "phone": worker.phone}
            for worker in workers.order_by("pk")[:3]
        ]
    return rows


def _verbose(field_name: str) -> str:
    return str(getattr(Case._meta.get_field(field_name), "verbose_name", field_name))


def _add_sensor(context: CaseContext, case: Case, user: User) -> None:
    point = SensorPoint.objects.filter(code=case.sensor_code).only("pk", "code", "sensor_type").first()
    if point is None:
        return
    context.sensor_code = point.code
    context.sensor_type = point.sensor_type
    since = timezone.now() - READINGS_WINDOW
    recent = Reading.objects.filter(point_id=point.pk, ts__gte=since).order_by("-ts")[:MAX_READINGS]
    context.readings = [{"at": row.ts, "value": row.value} for row in reversed(list(recent))]
    alarm = Alarm.objects.filter(case_id=case.pk).order_by("-raised_at").only("pk", "false_alarm").first()
    if alarm is not None:
        context.alarm = {
            "id": alarm.pk,
            "false_alarm": alarm.false_alarm,
            "may_mark_false": user.is_superuser or user.role in MARKS_FALSE_ALARMS,
        }

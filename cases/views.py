"""The dispatcher console (/console/) and case photos (served only to people who may see the case)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Department, User
from grids.models import Street

from . import selectors, workflow
from .models import Case, CaseEscalation, CasePhoto, Channel, Severity

# Actions a person takes from the console (the system's own ones are not offered).
CONSOLE_ACTIONS = [name for name, t in workflow.TRANSITIONS.items() if t.roles - {workflow.NonStaff.SYSTEM}]


def console_labels() -> dict[str, str]:
    return {
        "left": _("left"),
        "overdueBy": _("overdue by"),
        "noDeadline": _("no time limit"),
        "paused": _("clock paused"),
        "emergency": _("Emergency"),
        "connected": _("Live"),
        "disconnected": _("Offline"),
        "automatic": _("Automatic (dispatch rules)"),
        "nobody": _("Nobody"),
        "confirm": _("Confirm"),
        "cancel": _("Cancel"),
        "note": _("Note"),
        "reason": _("Reason"),
        "department": _("Department"),
        "person": _("Person"),
        "passed": _("Passed"),
        "failed": _("Failed (rework)"),
        "evaluation": _("Evaluation"),
        "until": _("New deadline"),
        "stars": _("Stars"),
        "photos": _("Photos"),
        "mergeInto": _("Merge into case number"),
        "candidates": _("Open cases of this category nearby"),
        "place": _("Place"),
        "category": _("Category"),
        "source": _("Source"),
        "assignee": _("Assignee"),
        "deadline": _("Deadline"),
        "created": _("Created"),
        "alarms": _("Alarms"),
        "reworks": _("Reworks"),
        "returns": _("Returns"),
        "sensor": _("Sensor point"),
        "sensorNormal": _("Sensor normal since"),
        "timeline": _("Timeline"),
        "escalation": _("Escalation"),
        "map": _("Map"),
        "sensorChart": _("Sensor alarms"),
        "noSensorData": _("No sensor data for this case."),
        "description": _("Description"),
        "stages": _("Stage deadlines"),
        "fileStage": _("Filing"),
        "dispatchStage": _("Dispatch"),
        "handleStage": _("Handling"),
        "verifyStage": _("Verification"),
        "timeUsed": _("time used"),
        "overdue": _("overdue"),
        "nothing": _("No cases here."),
        "loadFailed": _("Could not load. Retrying…"),
        "done": _("Done"),
        "minutes": _("min"),
        "hours": _("h"),
        "days": _("d"),
        "value": _("value"),
        "count": _("count"),
        "newNotification": _("Notification"),
        "suspendedSince": _("Suspended since"),
        "extensionRequested": _("Extension requested until"),
    }


def stage_statuses() -> dict[str, list[str]]:
    """For each timed stage, the statuses in which its clock runs (the console marks the current one)."""
    stages: dict[str, list[str]] = {}
    for status, stage in workflow.STAGE_OF_STATUS.items():
        stages.setdefault(str(stage), []).append(str(status))
    return stages


@login_required
def console(request: HttpRequest) -> HttpResponse:
    people = User.objects.filter(is_active=True, role__in=[User.Role.GRID_WORKER, User.Role.HANDLER])
    return render(
        request,
        "console/console.html",
        {
            "street": Street.objects.first(),
            "options": {
                "socketPath": "/ws/screen/",
                "tilesUrl": settings.MAP_TILES_URL,
                "tilesCrs": settings.MAP_TILES_CRS,
                "basemapUrl": reverse("screen-basemap"),
                "timeZone": settings.TIME_ZONE,
                "departments": list(Department.objects.order_by("kind", "code").values("code", "name")),
                "people": [
                    {"username": u.username, "name": str(u), "role": u.role, "department": u.department_id}
                    for u in people.order_by("role", "username")[:500]
                ],
                "statuses": dict(Case.Status.choices),
                "statusGroups": {
                    "open": Case.Status.OPEN,
                    "working": Case.Status.WORKING,
                    "toVerify": Case.Status.TO_VERIFY,
                },
                "stageStatuses": stage_statuses(),
                "severities": dict(Severity.choices),
                "sources": dict(Case.Source.choices),
                "actions": {name: str(workflow.TRANSITIONS[name].label) for name in CONSOLE_ACTIONS},
                "rejectReasons": dict(Case.RejectReason.choices),
                "evaluations": dict(Case.Evaluation.choices),
                "roles": {key: str(label) for key, label in workflow.ROLE_LABELS.items()},
                "channels": dict(Channel.choices),
                "stepStates": dict(CaseEscalation.State.choices),
                "kinds": dict(CasePhoto.Kind.choices),
                "labels": console_labels(),
            },
        },
    )


@login_required
def photo(request: HttpRequest, pk: int) -> FileResponse:
    row = CasePhoto.objects.filter(pk=pk).only("file", "content_type", "case_id").first()
    if row is None or not selectors.cases_for(request.user).filter(pk=row.case_id).exists():  # type: ignore[arg-type]
        raise Http404
    response = FileResponse(row.file.open("rb"), content_type=row.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response

"""The dispatcher console (/console/) and case photos (served only to people who may see the case)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from command_center.models import Department, User
from grids.models import Street

from . import selectors, workflow
from .models import Case, CasePhoto


@login_required
def console(request: HttpRequest) -> HttpResponse:
    people = User.objects.filter(is_active=True, role__in=[User.Role.GRID_WORKER, User.Role.HANDLER])
    return render(
        request,
        "console/console.html",
        {
            "street": Street.objects.first(),
            "map_tiles_url": settings.MAP_TILES_URL,
            "options": {
                "departments": list(
                    Department.objects.order_by("kind", "code").values("code", "name", "kind")
                ),
                "people": [
                    {"username": u.username, "name": str(u), "role": u.role, "department": u.department_id}
                    for u in people.order_by("role", "username")[:500]
                ],
                "statuses": dict(Case.Status.choices),
                "actions": {name: str(t.label) for name, t in workflow.TRANSITIONS.items()},
                "reject_reasons": dict(Case.RejectReason.choices),
                "evaluations": dict(Case.Evaluation.choices),
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

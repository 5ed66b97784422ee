"""/stats/weekly/: the archive of weekly reports, a week's report as a page, its PDF, XLSX and CSV, and
generating one on demand."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User

from .access import reads_statistics
from .models import WeeklyReport
from .periods import Period, PeriodError, parse_week, previous_iso_week
from .report import csv_text, pdf_bytes, render_html, report_content, xlsx_bytes
from .selectors import today
from .services import generate_weekly_report

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _reader(request: HttpRequest) -> None:
    if not reads_statistics(request.user):
        raise PermissionDenied(_("Statistics are for street officials, dispatchers and administrators."))


def _week(text: str) -> Period:
    try:
        return parse_week(text)
    except PeriodError as error:
        raise Http404(_("Give an ISO week such as 2026-W47.")) from error


@login_required
def weekly_index(request: HttpRequest) -> HttpResponse:
    _reader(request)
    last = previous_iso_week(today())
    return render(
        request,
        "stats/weekly.html",
        {
            "reports": WeeklyReport.objects.all()[:104],
            "last_week": last.label,
            "can_generate": request.user.role != User.Role.OFFICIAL or request.user.is_superuser,  # type: ignore[union-attr]  # signed in
        },
    )


@login_required
def weekly_page(request: HttpRequest, week: str) -> HttpResponse:
    _reader(request)
    content = report_content(_week(week))
    return render(
        request, "stats/weekly_page.html", {"html": render_html(content, standalone=False), "week": week}
    )


@login_required
def weekly_file(request: HttpRequest, week: str, kind: str) -> HttpResponse | FileResponse:
    """The archived file when there is one, else made now from today's data (not archived)."""
    _reader(request)
    period = _week(week)
    name = f"weekly-{period.label}.{kind}"
    archived = WeeklyReport.objects.filter(week=period.label).first()
    stored = getattr(archived, kind, None) if archived else None
    if stored:
        return FileResponse(
            stored.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[kind]
        )
    content = report_content(period)
    data = {"pdf": pdf_bytes, "xlsx": xlsx_bytes}.get(kind)
    body = data(content) if data else csv_text(content).encode("utf-8-sig")
    response = HttpResponse(body, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@login_required
def weekly_generate(request: HttpRequest) -> HttpResponse:
    """On demand (dispatchers and administrators): generate, archive and, if asked, e-mail a week's report."""
    _reader(request)
    if request.user.role == User.Role.OFFICIAL and not request.user.is_superuser:  # type: ignore[union-attr]  # signed in
        raise PermissionDenied(_("A street official may read here, not change anything."))
    period = _week(request.POST.get("week") or previous_iso_week(today()).label)
    report = generate_weekly_report(week=period, email=request.POST.get("email") == "1")
    messages.success(request, _("Weekly report %(week)s generated.") % {"week": report.week})
    return HttpResponseRedirect(reverse("stats-weekly"))

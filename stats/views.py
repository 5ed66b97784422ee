"""/stats/: the street official's statistics page. The figures are computed here and handed to the page's
script as JSON (json_script); the script draws the charts and the sortable tables."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from accounts.models import Department, User
from cases.models import Case, Category, Severity
from grids.models import Community, Grid

from . import catalogue, links, selectors
from .access import acts_on_scenes, reads_statistics
from .api.serializers import StatsQuery
from .periods import KINDS

PERIOD_NAMES = {
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
    "range": gettext_lazy("From – to"),
}


def filter_choices() -> dict[str, list[tuple[str, str]]]:
    workers = User.objects.filter(is_active=True, role__in=[User.Role.GRID_WORKER, User.Role.HANDLER])
    return {
        "community": list(Community.objects.order_by("code").values_list("code", "name")),
        "grid": list(Grid.objects.order_by("code").values_list("code", "name")),
        "department": list(Department.objects.order_by("kind", "code").values_list("code", "name")),
        "worker": [(u.username, str(u)) for u in workers.order_by("username")[:500]],
        "category": [
            (c.code, str(c)) for c in Category.objects.select_related("parent").order_by("sort_order")
        ],
        "source": [(value, str(label)) for value, label in Case.Source.choices],
        "severity": [(value, str(label)) for value, label in Severity.choices],
    }


def with_links(data: dict[str, Any], filters: dict[str, str]) -> dict[str, Any]:
    period = data["period_object"]
    keys = [*catalogue.KPIS]
    data["links"] = links.figure_links(keys, period, filters)
    for dimension, rows in data["rankings"].items():
        for row in rows:
            row["link"] = links.ranking_link(dimension, row, period, filters)
    for row in data["overdue_list"]:
        row["link"] = links.CONSOLE_CASE.format(id=row["id"])
    return data


@login_required
def stats_page(request: HttpRequest) -> HttpResponse:
    if not reads_statistics(request.user):
        raise PermissionDenied(_("Statistics are for street officials, dispatchers and administrators."))
    query = StatsQuery(data=request.GET)
    errors = [] if query.is_valid() else [str(m) for ms in query.errors.values() for m in ms]
    if errors:
        query = StatsQuery(data={})
        query.is_valid(raise_exception=True)
    params = query.validated_data
    data = selectors.statistics(request.user, params["period"], params["filters"])  # type: ignore[arg-type]  # signed in: a User
    data["period_object"] = params["period"]
    data = with_links(data, params["filters"])
    del data["period_object"]
    options = {
        "data": data,
        "kpis": catalogue.labels(catalogue.KPIS),
        "sensorKpis": catalogue.labels(catalogue.SENSOR_KPIS),
        "dimensions": {key: str(name) for key, name in catalogue.DIMENSION_NAMES.items()},
        "canActOnScenes": acts_on_scenes(request.user),
        "text": page_text(),
    }
    return render(
        request,
        "stats/stats.html",
        {
            "options": options,
            "errors": errors,
            "kinds": [(kind, PERIOD_NAMES[kind]) for kind in KINDS],
            "query": request.GET.dict(),
            "choices": filter_choices(),
            "period": data["period"],
            "day": (params.get("date") or params["period"].first).isoformat(),
        },
    )


def page_text() -> dict[str, str]:
    return {
        "periodOnPeriod": _("vs previous"),
        "yearOnYear": _("vs a year ago"),
        "reported": pgettext("kpi", "Reported"),
        "closed": pgettext("kpi", "Closed"),
        "trend": _("Reported and closed per day"),
        "onTimeByCommunity": _("On-time close rate by community"),
        "closedByDepartment": _("Closed by department"),
        "sceneAlarms": _("Alarms and false-alarm rate by scene"),
        "alarms": _("Alarms"),
        "falseAlarmRate": _("False-alarm rate"),
        "name": _("Name"),
        "due": pgettext("kpi", "Due"),
        "closeRate": _("Close rate"),
        "onTimeCloseRate": _("On-time close rate"),
        "overdue": _("Overdue now"),
        "case": _("Case"),
        "title": _("Title"),
        "status": _("Status"),
        "deadline": _("Deadline"),
        "category": _("Category"),
        "grid": _("Grid"),
        "department": _("Department"),
        "assignee": _("Assignee"),
        "scene": _("Scene"),
        "falseAlarms": _("False alarms"),
        "withCase": _("Became cases"),
        "alarmToCase": _("Alarm-to-case rate"),
        "nothing": _("Nothing in this period."),
        "sortHint": _("Click a column to sort"),
        "heat": _("Cases reported by weekday and hour"),
        "weekdays": _("Mon,Tue,Wed,Thu,Fri,Sat,Sun"),
    }

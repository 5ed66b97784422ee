"""The wall screen's words, translated on the server."""

from typing import Any

from django.utils.translation import gettext as _

from cases.models import Case


def screen_labels() -> dict[str, Any]:
    """The page's words, translated here (json_script escapes them safely for the page)."""
    return {
        "connected": _("Live"),
        "disconnected": _("Offline"),
        "connecting": _("Connecting…"),
        "resyncing": _("Resynchronising…"),
        "events": {
            "alarm.raised": _("Alarm raised"),
            "alarm.updated": _("Alarm repeated"),
            "alarm.cleared": _("Alarm cleared"),
            "case.created": _("Case reported"),
            "case.filed": _("Case filed"),
            "case.dispatched": _("Case dispatched"),
            "case.accepted": _("Case accepted"),
            "case.handled": _("Case handled"),
            "case.verified": _("Case verified"),
            "case.closed": _("Case closed"),
            "case.overdue": _("Case overdue"),
            "case.escalated": _("Case escalated"),
            "case.reopened": _("Case reopened"),
            "case.rejected": _("Case rejected"),
            "case.returned": _("Case returned"),
            "case.merged": _("Case merged"),
            "case.reworked": _("Case sent back for rework"),
            "case.suspended": _("Case suspended"),
            "case.resumed": _("Case resumed"),
        },
        # Realtime case events carry the status code only: the page names it from here.
        "case_statuses": {value: str(label) for value, label in Case.Status.choices},
        "states": {
            "normal": _("Normal"),
            "open": _("Open cases"),
            "overdue": _("Overdue"),
            "emergency": _("Emergency"),
        },
        "severity": {
            "critical": _("Critical"),
            "major": _("Major"),
            "minor": _("Minor"),
            "warning": _("Warning"),
        },
        "sources": {
            "sensor": _("Sensor"),
            "patrol": _("Patrol"),
            "resident": _("Resident"),
            "hotline": _("Hotline 12345"),
            "video": _("Video/AI"),
            "manual": _("Manual entry"),
        },
        "grid": _("Grid"),
        "community": _("Community"),
        "state": _("State"),
        "open_cases": _("Open cases"),
        "overdue": _("Overdue"),
        "alarms": _("Active alarms"),
        "workers": _("Grid workers"),
        "only_this_grid": _("Show only this grid"),
        "scene": _("Scene"),
        "place": _("Place"),
        "severity_label": _("Severity"),
        "count": _("Repeats"),
        "raised_at": _("Raised at"),
        "status": _("Status"),
        "category": _("Category"),
        "deadline": _("Deadline"),
        "last_seen": _("Last position"),
        "sensor": _("Sensor"),
        "online": _("Online"),
        "offline": _("Offline"),
        "alarms_today": _("Alarms"),
        "cases_today": _("Cases reported"),
        "closed_today": _("Cases closed"),
        "hours": _("h"),
        "minutes": _("min"),
        "per_second": _("events/s"),
        "none": _("None"),
        "shown_of": _("%(shown)s shown of %(total)s"),
    }

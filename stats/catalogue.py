"""The KPIs' names and formulas as people read them (the page's hover text, the report's notes);
docs/kpis.md is the long form."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# key: (name, formula, kind) — kind says how the value is shown: count, rate (a fraction shown as %),
# hours, or number.
KPIS: dict[str, tuple[Promise, Promise, str]] = {
    "reported": (_("Reported"), _("Cases reported in the period."), "count"),
    "filed": (_("Filed"), _("Cases filed in the period."), "count"),
    "filing_rate": (
        _("Filing rate"),
        _("Of the cases reported in the period, those filed ÷ reported."),
        "rate",
    ),
    "dispatched": (_("Dispatched"), _("Dispatches in the period (a re-dispatch counts again)."), "count"),
    "accurate_dispatch_rate": (_("Accurate dispatch rate"), _("1 − returned ÷ dispatched."), "rate"),
    "return_rate": (_("Return rate"), _("Returns by departments ÷ dispatches, in the period."), "rate"),
    "handled": (_("Handled"), _("Cases handled in the period."), "count"),
    "on_time_handle_rate": (
        _("On-time handling rate"),
        _("Handled before the handling deadline ÷ handled, in the period."),
        "rate",
    ),
    "rework_rate": (_("Rework rate"), _("Failed verifications (rework) ÷ handled, in the period."), "rate"),
    "extension_rate": (_("Extension rate"), _("Extensions approved ÷ dispatches, in the period."), "rate"),
    "closed": (_("Closed"), _("Cases closed in the period."), "count"),
    "close_rate": (
        _("Close rate"),
        _(
            "Due cases closed by the period's end ÷ (due − suspended); "
            "due: filed in the period, not rejected or merged."
        ),
        "rate",
    ),
    "on_time_close_rate": (
        _("On-time close rate"),
        _("Due cases closed by the period's end and never overdue ÷ (due − suspended)."),
        "rate",
    ),
    "avg_response_hours": (
        _("Average response time"),
        _("Cases accepted in the period: mean of dispatch → acceptance, hours."),
        "hours",
    ),
    "avg_handle_hours": (
        _("Average handling time"),
        _("Cases handled in the period: mean of acceptance → handled, hours."),
        "hours",
    ),
    "avg_handle_work_hours": (
        _("Average handling time (work hours)"),
        _("The same counting work time only: work windows, holidays off, make-up workdays on."),
        "hours",
    ),
    "avg_disposal_hours": (
        _("Average disposal time"),
        _("Cases closed in the period: mean of report → close, hours."),
        "hours",
    ),
    "satisfaction_rate": (
        _("Satisfaction rate"),
        _("Ratings given in the period with 4 or 5 stars ÷ ratings given."),
        "rate",
    ),
    "closed_per_handler_day": (
        _("Closed per handler per day"),
        _("Cases closed ÷ (people who handled them × work days of the period)."),
        "number",
    ),
    "overdue": (_("Overdue now"), _("Cases whose running stage is past its deadline now."), "count"),
    "suspended": (
        _("Suspended"),
        _("Due cases suspended at the period's end (their clock paused)."),
        "count",
    ),
}

SENSOR_KPIS: dict[str, tuple[Promise, Promise, str]] = {
    "alarms": (_("Scene alarms"), _("Alarms raised in the period (not device health)."), "count"),
    "false_alarm_rate": (_("False-alarm rate"), _("Alarms marked false ÷ alarms."), "rate"),
    "alarm_to_case_rate": (
        _("Alarm-to-case rate"),
        _("Alarms that opened or joined a case ÷ alarms."),
        "rate",
    ),
    "offline_rate": (_("Offline rate"), _("Active points offline now ÷ active points."), "rate"),
    "low_battery": (_("Low battery"), _("Active points below 20 % battery now."), "count"),
}

DIMENSION_NAMES: dict[str, Promise] = {
    "community": _("Communities"),
    "grid": _("Grids"),
    "department": _("Departments"),
    "worker": _("Workers"),
}


def labels(table: dict[str, tuple[Promise, Promise, str]]) -> dict[str, dict[str, str]]:
    return {
        key: {"name": str(name), "formula": str(formula), "kind": kind}
        for key, (name, formula, kind) in table.items()
    }

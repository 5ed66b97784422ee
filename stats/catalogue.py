"""The KPIs' names and formulas as people read them (the page's hover text, the report's notes);
docs/kpis.md is the long form."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# key: (name, formula, kind) — kind says how the value is shown: count, rate (a fraction shown as %),
# hours, or number.
KPIS: dict[str, tuple[Promise, Promise, str]] = {
    "reported": (pgettext_lazy("kpi", "Reported"), _("Cases reported in the period."), "count"),
    "filed": (pgettext_lazy("kpi", "Filed"), _("Cases filed in the period."), "count"),
    "filing_rate": (
        pgettext_lazy("kpi", "Filing rate"),
        _("Of the cases reported in the period, those filed ÷ reported."),
        "rate",
    ),
    "dispatched": (
        pgettext_lazy("kpi", "Dispatched"),
        _("Dispatches in the period (a re-dispatch counts again)."),
        "count",
    ),
    "accurate_dispatch_rate": (
        pgettext_lazy("kpi", "Accurate dispatch rate"),
        _("1 − returned ÷ dispatched."),
        "rate",
    ),
    "return_rate": (
        pgettext_lazy("kpi", "Return rate"),
        _("Returns by departments ÷ dispatches, in the period."),
        "rate",
    ),
    "handled": (pgettext_lazy("kpi", "Handled"), _("Cases handled in the period."), "count"),
    "on_time_handle_rate": (
        pgettext_lazy("kpi", "On-time handling rate"),
        _("Handled before the handling deadline ÷ handled, in the period."),
        "rate",
    ),
    "rework_rate": (
        pgettext_lazy("kpi", "Rework rate"),
        _("Failed verifications (rework) ÷ handled, in the period."),
        "rate",
    ),
    "extension_rate": (
        pgettext_lazy("kpi", "Extension rate"),
        _("Extensions approved ÷ dispatches, in the period."),
        "rate",
    ),
    "closed": (pgettext_lazy("kpi", "Closed"), _("Cases closed in the period."), "count"),
    "close_rate": (
        pgettext_lazy("kpi", "Close rate"),
        _(
            "Due cases closed by the period's end ÷ (due − suspended); "
            "due: filed in the period, not rejected or merged."
        ),
        "rate",
    ),
    "on_time_close_rate": (
        pgettext_lazy("kpi", "On-time close rate"),
        _("Due cases closed by the period's end and never overdue ÷ (due − suspended)."),
        "rate",
    ),
    "avg_response_hours": (
        pgettext_lazy("kpi", "Average response time"),
        _("Cases accepted in the period: mean of dispatch → acceptance, hours."),
        "hours",
    ),
    "avg_handle_hours": (
        pgettext_lazy("kpi", "Average handling time"),
        _("Cases handled in the period: mean of acceptance → handled, hours."),
        "hours",
    ),
    "avg_handle_work_hours": (
        pgettext_lazy("kpi", "Average handling time (work hours)"),
        _("The same counting work time only: work windows, holidays off, make-up workdays on."),
        "hours",
    ),
    "avg_disposal_hours": (
        pgettext_lazy("kpi", "Average disposal time"),
        _("Cases closed in the period: mean of report → close, hours."),
        "hours",
    ),
    "satisfaction_rate": (
        pgettext_lazy("kpi", "Satisfaction rate"),
        _("Ratings given in the period with 4 or 5 stars ÷ ratings given."),
        "rate",
    ),
    "closed_per_handler_day": (
        pgettext_lazy("kpi", "Closed per handler per day"),
        _("Cases closed ÷ (people who handled them × work days of the period)."),
        "number",
    ),
    "overdue": (
        pgettext_lazy("kpi", "Overdue now"),
        _("Cases whose running stage is past its deadline now."),
        "count",
    ),
    "suspended": (
        pgettext_lazy("kpi", "Suspended"),
        _("Due cases suspended at the period's end (their clock paused)."),
        "count",
    ),
}

SENSOR_KPIS: dict[str, tuple[Promise, Promise, str]] = {
    "alarms": (
        pgettext_lazy("kpi", "Scene alarms"),
        _("Alarms raised in the period (not device health)."),
        "count",
    ),
    "false_alarm_rate": (
        pgettext_lazy("kpi", "False-alarm rate"),
        _("Alarms marked false ÷ alarms."),
        "rate",
    ),
    "alarm_to_case_rate": (
        pgettext_lazy("kpi", "Alarm-to-case rate"),
        _("Alarms that opened or joined a case ÷ alarms."),
        "rate",
    ),
    "offline_rate": (
        pgettext_lazy("kpi", "Offline rate"),
        _("Active points offline now ÷ active points."),
        "rate",
    ),
    "low_battery": (pgettext_lazy("kpi", "Low battery"), _("Active points below 20 % battery now."), "count"),
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

"""Scene review: per scene its alarms, false alarms, the cases they produced and how those ended, and a
suggestion with its reason in words: tune the dwell time, limit the hours, retire it, or keep it.

`suggest` is pure (a scene's figures in, a Suggestion out); `scene_review` gathers the figures."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cases.models import Case
from devices.models import Alarm, Scene

from .kpis import ratio, within
from .periods import SHANGHAI, Period
from .sensors import HEALTH_TYPES

KEEP, TUNE, LIMIT_HOURS, RETIRE = "keep", "tune", "limit_hours", "retire"
# Below this many alarms a rate says little: keep the scene as it is.
MIN_ALARMS = 5
RETIRE_FALSE_RATE = 0.8
TUNE_FALSE_RATE = 0.4
# The hours to switch off: the 8-hour stretch holding most false alarms, when it holds this share of them
# and at most QUIET_TRUE_SHARE of the real ones.
OFF_HOURS = 8
OFF_FALSE_SHARE = 0.7
QUIET_TRUE_SHARE = 0.3
DWELL_STEP_SECONDS = 120


@dataclass
class SceneFigures:
    alarms: int = 0
    false_alarms: int = 0
    with_case: int = 0
    false_hours: Counter[int] = field(default_factory=Counter)  # local hour → false alarms raised then
    true_hours: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)  # case status → cases


@dataclass(frozen=True)
class Suggestion:
    action: str
    reason: str
    dwell_seconds: int | None = None
    active_from: time | None = None
    active_until: time | None = None


def noisy_hours(false_hours: Counter[int], true_hours: Counter[int]) -> tuple[int, int] | None:
    """The 8-hour stretch (start, end hour) holding most false alarms and few real ones, if any."""
    total_false, total_true = sum(false_hours.values()), sum(true_hours.values())
    best: tuple[int, int, int] | None = None  # (false, −true, start): most false, then fewest real ones
    for start in range(24):
        hours = [(start + n) % 24 for n in range(OFF_HOURS)]
        false = sum(false_hours[h] for h in hours)
        true = sum(true_hours[h] for h in hours)
        fits = false >= OFF_FALSE_SHARE * total_false and true <= QUIET_TRUE_SHARE * total_true
        if fits and (best is None or (false, -true) > best[:2]):
            best = (false, -true, start)
    return None if best is None else (best[2], (best[2] + OFF_HOURS) % 24)


def suggest(scene: Scene, figures: SceneFigures) -> Suggestion:
    if not scene.is_live:
        return Suggestion(KEEP, _("Switched off already."))
    if figures.alarms < MIN_ALARMS:
        return Suggestion(KEEP, _("Too few alarms to judge (%(n)s).") % {"n": figures.alarms})
    rate = figures.false_alarms / figures.alarms
    percent = f"{rate:.0%}"
    if rate >= RETIRE_FALSE_RATE:
        reason = _(
            "%(false)s of %(alarms)s alarms (%(percent)s) were false and only %(cases)s became cases: "
            "it disturbs residents and finds little."
        ) % {
            "false": figures.false_alarms,
            "alarms": figures.alarms,
            "percent": percent,
            "cases": figures.with_case,
        }
        return Suggestion(RETIRE, reason)
    if rate < TUNE_FALSE_RATE:
        return Suggestion(KEEP, _("%(percent)s false alarms: it works.") % {"percent": percent})
    stretch = noisy_hours(figures.false_hours, figures.true_hours)
    if stretch is not None:
        off_from, off_until = stretch
        reason = _(
            "Most false alarms (%(percent)s of all alarms are false) come between %(start)02d:00 and "
            "%(end)02d:00, when real ones are rare: let it alarm only from %(end)02d:00 to %(start)02d:00."
        ) % {"percent": percent, "start": off_from, "end": off_until}
        return Suggestion(LIMIT_HOURS, reason, active_from=time(off_until), active_until=time(off_from))
    dwell = scene.dwell_seconds + DWELL_STEP_SECONDS
    reason = _(
        "%(percent)s of its alarms were false, at every hour: wait %(dwell)s s instead of %(old)s s before "
        "alarming (short stops, passing noise)."
    ) % {"percent": percent, "dwell": dwell, "old": scene.dwell_seconds}
    return Suggestion(TUNE, reason, dwell_seconds=dwell)


def scene_figures(alarms: QuerySet[Alarm], cases: QuerySet[Case], period: Period) -> dict[int, SceneFigures]:
    """The figures of every scene with alarms in the period (drill cases left out of the outcomes)."""
    figures: dict[int, SceneFigures] = defaultdict(SceneFigures)
    rows = (
        alarms.filter(within("raised_at", period), scene__isnull=False)
        .exclude(type__in=HEALTH_TYPES)
        .values_list("scene_id", "raised_at", "false_alarm", "case_id")
    )
    case_scene: dict[int, int] = {}
    for scene_id, raised_at, false_alarm, case_id in rows.iterator():
        item = figures[scene_id]
        item.alarms += 1
        hour = raised_at.astimezone(SHANGHAI).hour
        if false_alarm:
            item.false_alarms += 1
            item.false_hours[hour] += 1
        else:
            item.true_hours[hour] += 1
        if case_id is not None:
            item.with_case += 1
            case_scene[case_id] = scene_id
    statuses = cases.filter(pk__in=list(case_scene)).values_list("pk", "status")
    for case_id, status in statuses:
        figures[case_scene[case_id]].outcomes[status] += 1
    return figures


def scene_review(alarms: QuerySet[Alarm], cases: QuerySet[Case], period: Period) -> list[dict[str, Any]]:
    figures = scene_figures(alarms, cases, period)
    rows: list[dict[str, Any]] = []
    for scene in Scene.objects.order_by("code"):
        item = figures.get(scene.pk, SceneFigures())
        suggestion = suggest(scene, item)
        rows.append(
            {
                "scene": scene,
                "alarms": item.alarms,
                "false_alarms": item.false_alarms,
                "false_alarm_rate": ratio(item.false_alarms, item.alarms),
                "with_case": item.with_case,
                "closed": item.outcomes[Case.Status.CLOSED],
                "rejected": item.outcomes[Case.Status.REJECTED] + item.outcomes[Case.Status.MERGED],
                "open": sum(n for status, n in item.outcomes.items() if status in Case.Status.OPEN),
                "suggestion": suggestion,
            }
        )
    rows.sort(key=lambda row: (row["suggestion"].action == KEEP, -int(row["alarms"])))
    return rows

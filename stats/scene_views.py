"""/stats/scenes/: the scene review, and the administrator's one click on its suggestion."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from devices import services as device_services
from devices.models import Scene

from .access import acts_on_scenes, reads_statistics
from .filters import counted_cases
from .periods import date_range
from .scene_review import LIMIT_HOURS, RETIRE, TUNE, Suggestion, scene_review
from .selectors import alarms_and_points, today

REVIEW_WEEKS = (1, 2, 4, 8, 13)
DEFAULT_WEEKS = 4


def _weeks(value: str | None) -> int:
    return int(value) if value and value.isdigit() and int(value) in REVIEW_WEEKS else DEFAULT_WEEKS


def _review(request: HttpRequest, weeks: int) -> list[dict[str, object]]:
    last = today()
    period = date_range(last - timedelta(days=weeks * 7 - 1), last)
    alarms, _points = alarms_and_points(request.user, {})  # type: ignore[arg-type]  # signed in: a User
    return scene_review(alarms, counted_cases(request.user).cases, period)  # type: ignore[arg-type]  # signed in: a User


@login_required
def scenes_page(request: HttpRequest) -> HttpResponse:
    if not reads_statistics(request.user):
        raise PermissionDenied(_("Statistics are for street officials, dispatchers and administrators."))
    weeks = _weeks(request.GET.get("weeks"))
    return render(
        request,
        "stats/scenes.html",
        {
            "rows": _review(request, weeks),
            "weeks": weeks,
            "week_choices": REVIEW_WEEKS,
            "can_act": acts_on_scenes(request.user),
        },
    )


def apply_suggestion(scene: Scene, suggestion: Suggestion) -> str:
    """Do what the suggestion says through the devices app; the message to show."""
    if suggestion.action == TUNE and suggestion.dwell_seconds is not None:
        device_services.tune_scene_dwell(scene_id=scene.pk, dwell_seconds=suggestion.dwell_seconds)
        return _("%(scene)s now waits %(dwell)s s before alarming.") % {
            "scene": scene.name,
            "dwell": suggestion.dwell_seconds,
        }
    if suggestion.action == LIMIT_HOURS and suggestion.active_from and suggestion.active_until:
        device_services.limit_scene_hours(
            scene_id=scene.pk, active_from=suggestion.active_from, active_until=suggestion.active_until
        )
        return _("%(scene)s now alarms from %(start)s to %(end)s.") % {
            "scene": scene.name,
            "start": f"{suggestion.active_from:%H:%M}",
            "end": f"{suggestion.active_until:%H:%M}",
        }
    if suggestion.action == RETIRE:
        device_services.retire_scene(scene_id=scene.pk)
        return _("%(scene)s is retired.") % {"scene": scene.name}
    return ""


@require_POST
@login_required
def act_on_scene(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply the suggestion as the server computes it now (not as the page showed it: figures move)."""
    if not acts_on_scenes(request.user):
        raise PermissionDenied(_("Only an administrator changes scenes."))
    weeks = _weeks(request.POST.get("weeks"))
    scene = Scene.objects.filter(pk=pk).first()
    if scene is None:
        raise Http404
    row = next(row for row in _review(request, weeks) if row["scene"] == scene)  # every scene has a row
    suggestion = row["suggestion"]
    assert isinstance(suggestion, Suggestion)
    done = apply_suggestion(scene, suggestion)
    if done:
        messages.success(request, done)
    else:
        messages.info(request, _("Nothing to change for %(scene)s.") % {"scene": scene.name})
    return HttpResponseRedirect(f"{reverse('stats-scenes')}?weeks={weeks}")

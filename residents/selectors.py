"""Reads: the resident categories, open cases near a point, a report's public timeline, ratings.

The public timeline says what happened and when, never who: no staff names, notes or phone numbers.
"""

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CaseEvent, CasePhoto, Category
from cases.selectors import distance_m
from grids.models import Compound

from .models import CallbackTask, MediationOrder, PublicCategory, Rating, ResidentReport

# FixMyStreet's radius for the public: 50 m was found too small to catch the same problem.
NEARBY_RADIUS_M = 250
MAX_NEARBY = 10

# What a resident reads for each step of the case (other actions, such as escalations, are internal).
PUBLIC_STEPS: dict[str, Any] = {
    "create": _("Report received"),
    "file": _("Accepted and filed"),
    "reject": _("Not taken up"),
    "merge": _("Merged with a report of the same problem"),
    "dispatch": _("Sent to the responsible department"),
    "accept": _("Being handled"),
    "handle": _("Handled"),
    "verify": _("Checked on site"),
    "close": _("Closed"),
    "suspend": _("Paused"),
    "resume": _("Resumed"),
    "reopen": _("Reopened"),
    "rate": _("Rated by a resident"),
}
# States in which the handler's photos after handling may be shown.
HANDLED_STATES = ("handled", "verified", "closed")
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_phone(text: str) -> str:
    """Mobile numbers in `text` as 138****5678 (GB/T 35273 display restriction)."""
    return MOBILE.sub(r"\1****\2", text or "")


def public_categories() -> QuerySet[PublicCategory]:
    return (
        PublicCategory.objects.filter(enabled=True, category__enabled=True)
        .select_related("category", "category__parent")
        .order_by("sort_order", "id")
    )


def public_category(code: str) -> PublicCategory | None:
    return public_categories().filter(category__code=code).first()


def _degrees(metres: float, lat: float) -> tuple[float, float]:
    return metres / 111_320.0, metres / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))


def nearby_open_cases(category: Category, lat: float, lng: float) -> list[tuple[Case, float]]:
    """Open cases of `category` within NEARBY_RADIUS_M of the point, nearest first."""
    dlat, dlng = _degrees(NEARBY_RADIUS_M, lat)
    rows = Case.objects.filter(
        category=category,
        status__in=Case.Status.OPEN,
        lat__range=(lat - dlat, lat + dlat),
        lng__range=(lng - dlng, lng + dlng),
    ).order_by("-id")[:100]
    found = [(case, distance_m(lat, lng, case.lat, case.lng)) for case in rows]
    near = sorted((pair for pair in found if pair[1] <= NEARBY_RADIUS_M), key=lambda pair: pair[1])
    return near[:MAX_NEARBY]


def reporter_counts(case_ids: list[int]) -> dict[int, int]:
    """Residents who reported each case (the first report and those that joined it)."""
    rows = ResidentReport.objects.filter(case_id__in=case_ids).values("case_id").annotate(n=Count("id"))
    return {row["case_id"]: row["n"] for row in rows}


def normal_code(raw: str) -> str:
    """A tracking code as typed: case and Crockford's look-alikes (O → 0, I and L → 1) forgiven."""
    return str(raw).strip().upper().replace("O", "0").replace("I", "1").replace("L", "1")


def report_by_code(code: str) -> ResidentReport | None:
    return (
        ResidentReport.objects.select_related("category", "case")
        .filter(tracking_code=normal_code(code))
        .first()
    )


def followed_case(case: Case) -> Case:
    """The case a report is now followed in: a merged case's target (a few hops at most)."""
    for _hop in range(5):
        if case.status != Case.Status.MERGED or case.merged_into_id is None:
            break
        case = Case.objects.get(pk=case.merged_into_id)
    return case


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    status: str
    at: datetime


def public_steps(case_ids: list[int]) -> list[Step]:
    events = CaseEvent.objects.filter(case_id__in=case_ids, action__in=PUBLIC_STEPS).order_by("at", "id")
    return [
        Step(event.action, str(PUBLIC_STEPS[event.action]), event.to_status, event.at)
        for event in events.only("action", "to_status", "at")
    ]


def after_photos(case: Case) -> list[CasePhoto]:
    """The handler's photos after handling, once the case is handled (none while it is worked on)."""
    if case.status not in HANDLED_STATES:
        return []
    return list(CasePhoto.objects.filter(case=case, kind=CasePhoto.Kind.AFTER).order_by("uploaded_at", "id"))


def public_photo(photo_id: int) -> CasePhoto | None:
    """A photo the public may see: a resident's own photo of a resident case, or the handler's photo
    after handling of a handled case that residents follow."""
    photo = CasePhoto.objects.select_related("case").filter(pk=photo_id).first()
    if photo is None:
        return None
    case = photo.case
    if photo.kind == CasePhoto.Kind.REPORT and case.source == Case.Source.RESIDENT:
        return photo
    followed = ResidentReport.objects.filter(case_id__in=_chain(case)).exists()
    if photo.kind == CasePhoto.Kind.AFTER and case.status in HANDLED_STATES and followed:
        return photo
    return None


def first_report_photo(case_id: int) -> int | None:
    photo = CasePhoto.objects.filter(case_id=case_id, kind=CasePhoto.Kind.REPORT).order_by("id").first()
    return photo.pk if photo else None


def _chain(case: Case) -> list[int]:
    """The case and the cases merged into it (their residents follow it)."""
    return [case.pk, *Case.objects.filter(merged_into=case).values_list("pk", flat=True)]


def current_rating(report: ResidentReport, case: Case) -> Rating | None:
    return Rating.objects.filter(report=report, closing=case.reopen_count).first()


def rating_summary(*, since: datetime | None = None) -> dict[str, Any]:
    """Residents' ratings for the statistics: count, average stars, share of 4-5 stars (满意率)."""
    ratings = Rating.objects.all()
    if since is not None:
        ratings = ratings.filter(created_at__gte=since)
    row = ratings.aggregate(
        n=Count("id"), average=Avg("stars"), satisfied=Count("id", filter=Q(stars__gte=4))
    )
    n = row["n"] or 0
    return {
        "ratings": n,
        "average_stars": round(row["average"], 2) if row["average"] is not None else None,
        "satisfaction_rate": round(row["satisfied"] / n, 4) if n else None,
    }


PUBLIC_STATUS: dict[str, Any] = {
    "discovered": _("Received"),
    "filed": _("Accepted"),
    "dispatched": _("Sent to the department"),
    "in_progress": _("Being handled"),
    "handled": _("Handled, to be checked"),
    "verified": _("Checked, about to close"),
    "closed": _("Closed"),
    "rejected": _("Not taken up"),
    "merged": _("Merged"),
    "suspended": _("Paused"),
}


@dataclass(frozen=True)
class Tracking:
    report: ResidentReport
    case: Case  # the case followed now (a merged case's target)
    status_label: str
    steps: list[Step]
    photo_ids: list[int]
    reporters: int
    rating: Rating | None
    can_rate: bool


def tracking(report: ResidentReport) -> Tracking:
    """What the resident sees of their report: states and times, the handler's photos once handled."""
    first = report.case
    case = followed_case(first)
    steps = public_steps([first.pk])
    if case.pk != first.pk:
        merged_at = max((step.at for step in steps if step.action == "merge"), default=None)
        steps += [step for step in public_steps([case.pk]) if merged_at is None or step.at > merged_at]
    rating = current_rating(report, case)
    return Tracking(
        report=report,
        case=case,
        status_label=str(PUBLIC_STATUS.get(case.status, case.status)),
        steps=steps,
        photo_ids=[photo.pk for photo in after_photos(case)],
        reporters=ResidentReport.objects.filter(case_id__in=_chain(case)).count(),
        rating=rating,
        can_rate=case.status == Case.Status.CLOSED and rating is None,
    )


def may_see_phone(user: Any) -> bool:
    """A resident's phone is for the people who act on the report: dispatchers and handlers."""
    return getattr(user, "role", None) in ("dispatcher", "handler")


def reports_of_case(case_id: int, *, full_phone: bool) -> list[dict[str, Any]]:
    """The residents' reports of a case (and of the cases merged into it), oldest first."""
    case = Case.objects.get(pk=case_id)
    reports = (
        ResidentReport.objects.filter(case_id__in=_chain(case))
        .annotate(photo_count=Count("photos", distinct=True))
        .order_by("created_at", "id")
    )
    rows = []
    for report in reports:
        rating = report.ratings.order_by("-created_at").first()
        rows.append(
            {
                "id": report.pk,
                "reported_at": report.created_at,
                "description": report.description,
                "phone": report.phone if full_phone else mask_phone(report.phone),
                "joined": report.joined,
                "channel": report.channel,
                "photos": report.photo_count,
                "stars": rating.stars if rating else None,
            }
        )
    return rows


def compound_outlines() -> dict[str, Any]:
    """The compounds as a GeoJSON FeatureCollection of their outlines and names."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": name}, "geometry": boundary}
            for name, boundary in Compound.objects.order_by("id").values_list("name", "boundary")
        ],
    }


def mask_name(name: str) -> str:
    """张*华 or 张* (GB/T 35273 display restriction)."""
    name = name or ""
    if len(name) <= 1:
        return name
    return f"{name[0]}*" if len(name) == 2 else f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


def may_see_parties(user: Any, order: MediationOrder) -> bool:
    """The parties' names and phones in full: dispatchers, administrators and the order's mediator."""
    if getattr(user, "is_superuser", False) or getattr(user, "role", None) in ("dispatcher", "admin"):
        return True
    return order.mediator is not None and order.mediator.user_id == getattr(user, "pk", None)


def mediation_orders() -> QuerySet[MediationOrder]:
    return MediationOrder.objects.select_related("mediator", "community").prefetch_related(
        "parties", "sessions"
    )


def mediation_summary(*, since: datetime | None = None) -> dict[str, Any]:
    """For the statistics: orders, agreements, referrals and the resolution rate (化解率 = agreements ÷
    orders with an outcome)."""
    orders = MediationOrder.objects.all()
    if since is not None:
        orders = orders.filter(created_at__gte=since)
    row = orders.aggregate(
        n=Count("id"),
        agreed=Count("id", filter=Q(status=MediationOrder.Status.AGREED)),
        referred=Count("id", filter=Q(status=MediationOrder.Status.REFERRED)),
        due=Count("id", filter=Q(follow_up_due__isnull=False, followed_up_at__isnull=True)),
    )
    decided = row["agreed"] + row["referred"]
    return {
        "orders": row["n"],
        "agreed": row["agreed"],
        "referred": row["referred"],
        "follow_ups_due": row["due"],
        "resolution_rate": round(row["agreed"] / decided, 4) if decided else None,
    }


def follow_ups_due(
    orders: QuerySet[MediationOrder], *, today: date | None = None
) -> QuerySet[MediationOrder]:
    """Orders with an outcome whose follow-up visit is due and not made yet, the oldest due first."""
    today = today or timezone.localdate()
    return orders.filter(follow_up_due__lte=today, followed_up_at__isnull=True).order_by(
        "follow_up_due", "id"
    )


def callback_tasks() -> QuerySet[CallbackTask]:
    return CallbackTask.objects.select_related("rating", "case__category", "community").order_by(
        "status", "-created_at"
    )

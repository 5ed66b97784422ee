"""The residents API under /api/v1/resident-reports/: anonymous reports, nearby open cases, the public
timeline of a tracking code and the rating. No account: rate-limited per client address (and phone)."""

import logging
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import error_responses
from accounts.models import User
from cases import selectors as case_selectors
from cases.workflow import WorkflowError
from command_center.api.exceptions import Conflict

from .. import limits, selectors, services
from ..models import ResidentReport
from .serializers import (
    CaseReportSerializer,
    NearbyQuerySerializer,
    NearbySerializer,
    RatingInputSerializer,
    RatingSerializer,
    ReportCreatedSerializer,
    ReportInputSerializer,
    TrackingSerializer,
)

logger = logging.getLogger(__name__)

TRACKING_CODE = OpenApiParameter(
    "tracking_code",
    OpenApiTypes.STR,
    location=OpenApiParameter.PATH,
    description="the report's tracking code",
)


def refuse(error: WorkflowError) -> None:
    """A service's refusal as the API's 400 (with the fields) or 409."""
    detail = str(error.message)
    if error.status_code == 409:
        raise Conflict(detail) from error
    fields = {name: [str(message)] for name, message in error.fields.items()}
    raise ValidationError({"detail": detail, **fields}) from error


def throttle(wait: int | None) -> None:
    if wait is not None:
        raise Throttled(wait=wait, detail=_("Too many reports from here; please try again later."))


def tracking_url(request: Request, code: str) -> str:
    return request.build_absolute_uri(reverse("residents:tracking", args=[code]))


class PublicView(APIView):
    """No account and no session: a signed-in browser is a resident here too (and needs no CSRF token)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]


class ReportCreateView(PublicView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": ReportInputSerializer, "application/json": ReportInputSerializer},
        responses={201: ReportCreatedSerializer, **error_responses(429)},
    )
    def post(self, request: Request) -> Response:
        """Report a problem without an account (source `resident`): a new case, or, with `same_as`, one
        more reporter of an open case nearby. Answers the tracking code to follow it."""
        throttle(limits.report_wait(request))
        data = ReportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            phone = services.normal_phone(values["phone"])
            throttle(limits.phone_wait(phone))
            report = services.submit_report(
                services.ReportInput(
                    category=values["category"],
                    description=values["description"],
                    lat=values["lat"],
                    lng=values["lng"],
                    phone=phone,
                    photos=tuple(
                        (upload.read(), upload.name or "photo") for upload in values.get("photos") or []
                    ),
                    same_as=values.get("same_as"),
                )
            )
        except WorkflowError as error:
            refuse(error)
        answer = {
            "tracking_code": report.tracking_code,
            "tracking_url": tracking_url(request, report.tracking_code),
            "joined": report.joined,
            "reporters": selectors.reporter_counts([report.case_id]).get(report.case_id, 1),
        }
        return Response(ReportCreatedSerializer(answer).data, status=status.HTTP_201_CREATED)


class NearbyView(PublicView):
    @extend_schema(
        parameters=[NearbyQuerySerializer],
        responses={200: NearbySerializer, **error_responses(429)},
    )
    def get(self, request: Request) -> Response:
        """Open cases of the category within 250 m of the point ("是这个问题吗？"), nearest first."""
        throttle(limits.lookup_wait(request))
        query = NearbyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        entry = selectors.public_category(values["category"])
        if entry is None:
            message = _("Choose one of the categories on the report page.")
            raise ValidationError({"detail": message, "category": [message]})
        found = selectors.nearby_open_cases(entry.category, values["lat"], values["lng"])
        counts = selectors.reporter_counts([case.pk for case, _distance in found])
        results = [
            {
                "id": case.pk,
                "category": entry.category.name,
                "description": selectors.mask_phone(case.description)[:120],
                "status": str(selectors.PUBLIC_STATUS.get(case.status, case.status)),
                "distance_m": round(distance),
                "reported_at": case.created_at,
                "reporters": counts.get(case.pk, 0),
            }
            for case, distance in found
        ]
        return Response(NearbySerializer({"radius_m": selectors.NEARBY_RADIUS_M, "results": results}).data)


def report_or_404(code: str) -> ResidentReport:
    report = selectors.report_by_code(code)
    if report is None:
        raise NotFound(_("No report has this tracking code."))
    return report


def tracking_answer(request: Request, report: ResidentReport) -> dict[str, Any]:
    seen = selectors.tracking(report)
    return {
        "tracking_code": report.tracking_code,
        "category": report.category.name,
        "icon": getattr(selectors.public_category(report.category.code), "icon", ""),
        "description": selectors.mask_phone(report.description),
        "status": seen.case.status,
        "status_label": seen.status_label,
        "reported_at": report.created_at,
        "reporters": seen.reporters,
        "steps": seen.steps,
        "photos": [
            request.build_absolute_uri(reverse("residents:photo", args=[photo_id]))
            for photo_id in seen.photo_ids
        ],
        "rating": seen.rating,
        "can_rate": seen.can_rate,
    }


class TrackingView(PublicView):
    @extend_schema(parameters=[TRACKING_CODE], responses={200: TrackingSerializer, **error_responses(429)})
    def get(self, request: Request, tracking_code: str) -> Response:
        """The report's public timeline: states and times, the handler's photos once handled; no names."""
        throttle(limits.lookup_wait(request))
        report = report_or_404(tracking_code)
        return Response(TrackingSerializer(tracking_answer(request, report)).data)


class RatingView(PublicView):
    @extend_schema(
        parameters=[TRACKING_CODE],
        request=RatingInputSerializer,
        responses={201: RatingSerializer, **error_responses(409, 429)},
    )
    def post(self, request: Request, tracking_code: str) -> Response:
        """1-5 stars and a comment once the case is closed; 2 stars or less reopen it and the community
        calls the resident back."""
        throttle(limits.lookup_wait(request))
        report = report_or_404(tracking_code)
        data = RatingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            rating = services.rate_report(
                report=report, stars=data.validated_data["stars"], comment=data.validated_data["comment"]
            )
        except WorkflowError as error:
            refuse(error)
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


class CaseReportsView(APIView):
    """Staff: the residents' reports of a case they may see."""

    @extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, location=OpenApiParameter.PATH)],
        responses={200: CaseReportSerializer(many=True)},
    )
    def get(self, request: Request, id: str) -> Response:
        """The residents who reported the case; the phone in full for dispatchers and handlers only."""
        user: User = request.user  # type: ignore[assignment]
        if not (id.isascii() and id.isdigit() and 0 < int(id) < 2**63):
            raise NotFound(_("Case %(id)s does not exist.") % {"id": id[:30]})
        if not case_selectors.cases_for(user).filter(pk=int(id)).exists():
            raise NotFound(_("Case %(id)s does not exist.") % {"id": id})
        full_phone = selectors.may_see_phone(user)
        rows = selectors.reports_of_case(int(id), full_phone=full_phone)
        if full_phone and any(row["phone"] for row in rows):
            logger.info("residents' phones of case %s shown to user %s", id, user.pk)  # who saw them
        return Response(CaseReportSerializer(rows, many=True).data)

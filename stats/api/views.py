"""GET /api/v1/stats/weekly/?week=2026-W47 (the weekly report's KPIs, whole district) and
GET /api/v1/stats/kpis/?period=&date=&from=&to=&<filters> (what /stats/ shows, in the caller's scope).
Street officials, dispatchers and administrators only; all reads."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import StaffMember
from stats import selectors
from stats.access import reads_statistics
from stats.filters import district_cases
from stats.periods import previous_iso_week

from .serializers import StatisticsSerializer, StatsQuery, WeeklySerializer, WeekQuery


class StatisticsReader(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return reads_statistics(request.user)


PERMISSIONS = [StaffMember, StatisticsReader]


class WeeklyKpisView(APIView):
    """The KPIs of one ISO week for the whole district (docs/kpis.md), with their changes from the week
    before and from the same week a year earlier."""

    permission_classes = PERMISSIONS

    @extend_schema(parameters=[WeekQuery], responses={200: WeeklySerializer})
    def get(self, request: Request) -> Response:
        query = WeekQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        week = query.validated_data.get("week") or previous_iso_week(selectors.today())
        values = selectors.period_kpis(district_cases(), week)
        body = {"week": week.label, "start": week.first, "end": week.last, **values}
        return Response(body, headers={"Cache-Control": "private, max-age=60"})


class StatisticsView(APIView):
    """KPIs, comparisons, rankings, the overdue list, sensors and the daily trend of a period, in the
    caller's scope and filters."""

    permission_classes = PERMISSIONS

    @extend_schema(parameters=[StatsQuery], responses={200: StatisticsSerializer})
    def get(self, request: Request) -> Response:
        query = StatsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        body = selectors.statistics(request.user, data["period"], data["filters"])  # type: ignore[arg-type]  # signed in: a User
        return Response(body, headers={"Cache-Control": "private, max-age=60"})

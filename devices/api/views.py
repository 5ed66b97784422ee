"""Sensor points, alarms and dead letters. Every queryset is scoped through grids.scoping."""

from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.permissions import StaffMember
from accounts.api.schema import error_responses
from accounts.models import User
from command_center.api.exceptions import Conflict
from command_center.api.pagination import CursorPage
from command_center.api.writes import write_transaction
from devices.alarms.actions import (
    AlarmStateError,
    acknowledge_alarm,
    clear_alarm,
    mark_false_alarm,
    may_clear,
)
from devices.models import Alarm, DeadLetter, SensorPoint
from devices.registry import register_point
from devices.selectors import ALARM_SCOPE, POINT_SCOPE
from grids.scoping import scope_queryset

from .filters import AlarmFilter, DeadLetterFilter, SensorPointFilter
from .serializers import (
    AlarmSerializer,
    DeadLetterSerializer,
    SensorPointCreatedSerializer,
    SensorPointCreateSerializer,
    SensorPointSerializer,
)


def staff_user(request: Request) -> User:
    """The caller of a view behind StaffMember: a logged-in user."""
    return cast(User, request.user)


def is_admin(user: Any) -> bool:
    return bool(user.is_superuser or user.role == User.Role.ADMIN)


class IsRegistryAdmin(permissions.BasePermission):
    """Reading points: anyone in scope. Registering them: administrators."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in permissions.SAFE_METHODS or is_admin(request.user)


class IsDispatcherOrAdmin(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user.is_superuser or getattr(user, "role", None) in {User.Role.ADMIN, User.Role.DISPATCHER}
        )


class CountedCursorPage(CursorPage):
    """A cursor page with the total count of the filtered list (for short lists such as dead letters)."""

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self.total = queryset.count()
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data = {"count": self.total, **response.data}
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        result = super().get_paginated_response_schema(schema)
        result["properties"] = {"count": {"type": "integer", "example": 123}, **result["properties"]}
        return result


class SensorPointViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Any]):
    """Sensor points (感知点位) in the caller's scope; administrators register new ones."""

    serializer_class = SensorPointSerializer
    permission_classes = [StaffMember, IsRegistryAdmin]
    filterset_class = SensorPointFilter

    def get_queryset(self) -> QuerySet[SensorPoint]:
        queryset = SensorPoint.objects.select_related("scene")
        return scope_queryset(queryset, staff_user(self.request), POINT_SCOPE)

    @extend_schema(request=SensorPointCreateSerializer, responses={201: SensorPointCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SensorPointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        with write_transaction():
            point, password = register_point(
                code=fields["code"],
                sensor_type=fields["type"],
                lat=fields["lat"],
                lng=fields["lng"],
                scene_code=fields["scene"],
                grid_id=fields["grid"],
                compound_id=fields["compound"],
                building_id=fields["building"],
                department_id=fields["department"],
                installed_on=fields["installed_on"],
                heartbeat_interval=fields["heartbeat_interval"],
                threshold=fields["threshold"],
                acoustic_zone=fields["acoustic_zone"],
            )
            body = SensorPointCreatedSerializer(point, context={"mqtt_password": password}).data
        return Response(body, status=status.HTTP_201_CREATED)


class AlarmViewSet(viewsets.ReadOnlyModelViewSet[Any]):
    """Alarms in the caller's scope, newest first; `count` is how often the sensor repeated it."""

    serializer_class = AlarmSerializer
    filterset_class = AlarmFilter

    def get_queryset(self) -> QuerySet[Alarm]:
        queryset = Alarm.objects.select_related("point__scene", "point__compound", "point__grid", "scene")
        return scope_queryset(queryset, staff_user(self.request), ALARM_SCOPE)

    def _act(self, request: Request, act: Any, *, clearing: bool = False) -> Response:
        alarm = self.get_object()  # 404 outside the caller's scope
        user = request.user
        if clearing and not may_clear(user):
            raise PermissionDenied(_("Your role may not do this to an alarm."))
        try:
            with write_transaction():  # the answer is built before the commit; later failures are logged
                alarm = act(alarm_id=alarm.pk, user=user)
                body = AlarmSerializer(self.get_queryset().get(pk=alarm.pk)).data
        except AlarmStateError as exc:
            raise Conflict(str(exc)) from exc
        return Response(body)

    @extend_schema(request=None, responses={200: AlarmSerializer, **error_responses(409)})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, acknowledge_alarm)

    @extend_schema(request=None, responses={200: AlarmSerializer, **error_responses(409)})
    @action(detail=True, methods=["post"])
    def clear(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, clear_alarm, clearing=True)

    @extend_schema(request=None, responses={200: AlarmSerializer, **error_responses(409)})
    @action(detail=True, methods=["post"], url_path="false-alarm")
    def false_alarm(self, request: Request, pk: str | None = None) -> Response:
        return self._act(request, mark_false_alarm, clearing=True)


class DeadLetterViewSet(viewsets.ReadOnlyModelViewSet[Any]):
    """Messages the ingest could not accept, with the reason (administrators and dispatchers)."""

    serializer_class = DeadLetterSerializer
    permission_classes = [StaffMember, IsDispatcherOrAdmin]
    pagination_class = CountedCursorPage
    filterset_class = DeadLetterFilter
    queryset = DeadLetter.objects.all()

"""POST /api/v1/patrol-positions/: grid workers' phones upload where they walked (one or many points)."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from command_center.api.fields import NumberField, in_utc
from command_center.api.writes import write_transaction
from grids.services import PositionIn, record_patrol_positions, validate_position

MAX_POSITIONS_PER_UPLOAD = 500


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field[datetime, str, str, Any]):
    """ISO 8601 with a UTC offset; a time without one is refused rather than guessed."""

    def to_internal_value(self, data):  # type: ignore[no-untyped-def]
        try:
            value = parse_datetime(data) if isinstance(data, str) else None
        except ValueError:  # well formed, but no such time (month 13)
            value = None
        if value is None:
            raise ValidationError(_("Send an ISO 8601 time such as 2026-11-21T08:00:00+08:00."))
        if value.tzinfo is None:
            raise ValidationError(_("The time must carry a UTC offset, e.g. 2026-11-21T08:00:00+08:00."))
        try:
            return in_utc(value)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def to_representation(self, value):  # type: ignore[no-untyped-def]
        return value.isoformat()


class PatrolPositionSerializer(serializers.Serializer[dict[str, Any]]):
    lat = NumberField()
    lng = NumberField()
    accuracy = NumberField(required=False, allow_null=True)
    recorded_at = AwareDateTimeField()

    def validate(self, attrs):  # type: ignore[no-untyped-def]
        try:
            validate_position(PositionIn(**attrs))
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        return attrs


class PatrolPositionUpload(APIView):
    """Record the caller's patrol positions: one object, or a list of up to 500 (buffered offline).

    Positions already stored for the same time are skipped, so a phone may safely retry an upload.
    One bad position refuses the whole upload with the reason per position; nothing is half-saved.
    """

    parser_classes = [JSONParser]  # a list of positions: JSON only

    @extend_schema(
        request=PatrolPositionSerializer(many=True),
        responses={
            201: inline_serializer(
                "PatrolUploadResult",
                {"received": serializers.IntegerField(), "created": serializers.IntegerField()},
            )
        },
    )
    def post(self, request: Request) -> Response:
        user = request.user
        if not isinstance(user, User) or user.role != User.Role.GRID_WORKER:
            raise PermissionDenied(_("Only grid workers record patrol positions."))
        items = request.data if isinstance(request.data, list) else [request.data]
        if not items:
            raise ValidationError({"detail": _("Send at least one position.")})
        if len(items) > MAX_POSITIONS_PER_UPLOAD:
            raise ValidationError(
                {"detail": _("Send at most %(n)s positions per upload.") % {"n": MAX_POSITIONS_PER_UPLOAD}}
            )
        serializer = PatrolPositionSerializer(data=items, many=True)
        serializer.is_valid(raise_exception=True)
        positions = [PositionIn(**attrs) for attrs in serializer.validated_data]
        with write_transaction():  # a failure after the commit is logged: the upload stands
            created = record_patrol_positions(user=user, positions=positions)
        return Response({"received": len(positions), "created": created}, status=status.HTTP_201_CREATED)

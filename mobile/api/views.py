"""GET /api/v1/mobile/cases/<id>/context/: what a phone shows around a case besides the case itself."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import error_responses
from accounts.models import User
from mobile.selectors import case_context


class ContactSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(help_text="who they are to the case: the compound, department, grid")
    name = serializers.CharField()
    phone = serializers.CharField(allow_blank=True)


class ReadingSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    value = serializers.FloatField()


class AlarmStateSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    false_alarm = serializers.BooleanField()
    may_mark_false = serializers.BooleanField()


class CaseContextSerializer(serializers.Serializer[Any]):
    case_id = serializers.IntegerField()
    contacts = ContactSerializer(many=True)
    sensor_code = serializers.CharField(allow_blank=True)
    sensor_type = serializers.CharField(allow_blank=True)
    readings = ReadingSerializer(many=True, help_text="the sensor point's readings of the last 24 hours")
    alarm = AlarmStateSerializer(allow_null=True)


def _case_id(raw: Any) -> int:
    text = str(raw)
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise NotFound()
    return int(text)


class CaseContextView(APIView):
    """Contacts (the compound's property company, the department, the assignee and the grid's workers, with
    phones for a one-tap call), and for a sensor case the point's recent readings and its alarm."""

    @extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, location=OpenApiParameter.PATH)],
        responses={200: CaseContextSerializer, **error_responses(404)},
    )
    def get(self, request: Request, id: str) -> Response:
        user: User = request.user  # type: ignore[assignment]
        context = case_context(user, _case_id(id))
        if context is None:
            raise NotFound()
        return Response(CaseContextSerializer(context).data)

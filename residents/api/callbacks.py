"""Staff API of the call-back tasks: residents who rated a closed case 2 stars or less (it was reopened)
are called back by their community."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from command_center.api.fields import PlainTextField

from .. import selectors, services
from ..models import CallbackTask
from .permissions import CommunityStaff


class CallbackSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    category = serializers.CharField(source="case.category.name")
    community = serializers.IntegerField(source="community_id", allow_null=True)
    stars = serializers.IntegerField(source="rating.stars")
    comment = serializers.CharField(source="rating.comment")
    status = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)


class CallbackDoneSerializer(serializers.Serializer[Any]):
    note = PlainTextField(max_length=2000, multiline=True, help_text="what the resident said")


class CallbacksView(APIView):
    permission_classes = [CommunityStaff]

    @extend_schema(responses={200: CallbackSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Call-back tasks, open ones first (at most 200)."""
        return Response(CallbackSerializer(selectors.callback_tasks()[:200], many=True).data)


def _task(raw: str) -> CallbackTask:
    task = None
    if raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63:
        task = selectors.callback_tasks().filter(pk=int(raw)).first()
    if task is None:
        raise NotFound(_("There is no such call-back task."))
    return task


class CallbackDoneView(APIView):
    permission_classes = [CommunityStaff]

    @extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, location=OpenApiParameter.PATH)],
        request=CallbackDoneSerializer,
        responses={200: CallbackSerializer},
    )
    def post(self, request: Request, id: str) -> Response:
        """The resident was called back: what they said."""
        task = _task(id)
        data = CallbackDoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done: Any = services.finish_callback(task=task, note=data.validated_data["note"])
        return Response(CallbackSerializer(done).data)

"""Staff API of dispute mediation: mediators, orders (parties masked for roles that do not need them),
sessions, the outcome with its agreement PDF, the follow-up visit. Handlers have no part in it."""

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import error_responses
from cases.workflow import WorkflowError
from command_center.api.fields import IdField, PlainTextField

from .. import mediation, selectors
from ..models import MediationOrder, Mediator, Party
from .permissions import CommunityStaff
from .views import refuse


class MediatorSerializer(serializers.ModelSerializer[Any]):
    class Meta:
        model = Mediator
        fields = ["id", "name", "kind", "community"]


class PartySerializer(serializers.Serializer[Any]):
    side = serializers.ChoiceField(choices=Party.Side.choices)
    name = PlainTextField(max_length=50)
    phone = PlainTextField(max_length=20, required=False, allow_blank=True, default="")
    address = PlainTextField(max_length=200, required=False, allow_blank=True, default="")


class OrderInputSerializer(serializers.Serializer[Any]):
    type = serializers.ChoiceField(choices=MediationOrder.Type.choices)
    level = serializers.ChoiceField(choices=MediationOrder.Level.choices, required=False)
    summary = PlainTextField(max_length=4000, multiline=True)
    community = IdField(required=False)
    mediator = IdField(required=False)
    tracking_code = PlainTextField(
        max_length=20, required=False, help_text="the resident report it came from"
    )
    parties = PartySerializer(many=True, help_text="at least one applicant and one respondent")


class SessionSerializer(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    place = PlainTextField(max_length=100)
    attendees = PlainTextField(max_length=300, required=False, allow_blank=True, default="")
    notes = PlainTextField(max_length=4000, multiline=True, required=False, allow_blank=True, default="")


class OutcomeSerializer(serializers.Serializer[Any]):
    agreed = serializers.BooleanField()
    agreement = PlainTextField(max_length=4000, multiline=True, required=False, allow_blank=True, default="")
    note = PlainTextField(max_length=2000, multiline=True, required=False, allow_blank=True, default="")


class FollowUpSerializer(serializers.Serializer[Any]):
    result = serializers.ChoiceField(choices=MediationOrder.FollowUp.choices)
    note = PlainTextField(max_length=2000, multiline=True, required=False, allow_blank=True, default="")


class OrderSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    type = serializers.CharField()
    level = serializers.CharField()
    status = serializers.CharField()
    summary = serializers.CharField()
    community = serializers.IntegerField(allow_null=True)
    mediator = serializers.CharField(allow_null=True)
    parties = PartySerializer(many=True)
    sessions = SessionSerializer(many=True)
    agreement = serializers.CharField()
    agreement_url = serializers.CharField(allow_null=True)
    outcome_at = serializers.DateTimeField(allow_null=True)
    follow_up_due = serializers.DateField(allow_null=True)
    follow_up = serializers.CharField()
    followed_up_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


def order_answer(order: MediationOrder, user: Any) -> dict[str, Any]:
    full = selectors.may_see_parties(user, order)
    return {
        "id": order.pk,
        "type": order.type,
        "level": order.level,
        "status": order.status,
        "summary": order.summary,
        "community": order.community_id,
        "mediator": order.mediator.name if order.mediator else None,
        "parties": [
            {
                "side": p.side,
                "name": p.name if full else selectors.mask_name(p.name),
                "phone": p.phone if full else selectors.mask_phone(p.phone),
                "address": p.address if full else "",
            }
            for p in order.parties.all()
        ],
        "sessions": list(order.sessions.values("at", "place", "attendees", "notes")),
        "agreement": order.agreement,
        "agreement_url": reverse("residents:agreement", args=[order.pk]) if order.agreement_pdf else None,
        "outcome_at": order.outcome_at,
        "follow_up_due": order.follow_up_due,
        "follow_up": order.follow_up,
        "followed_up_at": order.followed_up_at,
        "created_at": order.created_at,
    }


DUE = OpenApiParameter(
    "due",
    OpenApiTypes.BOOL,
    required=False,
    description="only orders whose follow-up visit is due today or earlier",
)
ORDER_ID = OpenApiParameter("id", OpenApiTypes.INT, location=OpenApiParameter.PATH)


def order_or_404(raw: str) -> MediationOrder:
    if not (raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63):
        raise NotFound(_("There is no such mediation order."))
    order = selectors.mediation_orders().filter(pk=int(raw)).first()
    if order is None:
        raise NotFound(_("There is no such mediation order."))
    return order


class MediatorsView(APIView):
    permission_classes = [CommunityStaff]

    @extend_schema(responses={200: MediatorSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The pool of mediators: volunteers (热心调解人) and staff."""
        return Response(MediatorSerializer(Mediator.objects.filter(active=True), many=True).data)


class OrdersView(APIView):
    permission_classes = [CommunityStaff]

    @extend_schema(parameters=[DUE], responses={200: OrderSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """Mediation orders, newest first (at most 200); `due=true`: those whose follow-up visit is due."""
        orders = selectors.mediation_orders()
        if request.query_params.get("due") == "true":
            orders = selectors.follow_ups_due(orders)
        orders = orders[:200]
        return Response(OrderSerializer([order_answer(o, request.user) for o in orders], many=True).data)

    @extend_schema(request=OrderInputSerializer, responses={201: OrderSerializer})
    def post(self, request: Request) -> Response:
        """Open a mediation order, from a resident's report (its tracking code) or by staff."""
        data = OrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        mediator = report = None
        if values.get("mediator"):
            mediator = Mediator.objects.filter(pk=values["mediator"], active=True).first()
            if mediator is None:
                raise serializers.ValidationError({"mediator": [_("There is no such mediator.")]})
        if values.get("tracking_code"):
            report = selectors.report_by_code(values["tracking_code"])
            if report is None:
                raise serializers.ValidationError({"tracking_code": [_("No report has this tracking code.")]})
        try:
            order = mediation.open_order(
                type=values["type"],
                level=values.get("level") or MediationOrder.Level.COMMUNITY,
                summary=values["summary"],
                community_id=values.get("community"),
                mediator=mediator,
                report=report,
                opened_by=request.user,  # type: ignore[arg-type]
                parties=[mediation.PartyInput(**party) for party in values["parties"]],
            )
        except WorkflowError as error:
            refuse(error)
        order = selectors.mediation_orders().get(pk=order.pk)
        return Response(
            OrderSerializer(order_answer(order, request.user)).data, status=status.HTTP_201_CREATED
        )


class OrderView(APIView):
    permission_classes = [CommunityStaff]

    @extend_schema(parameters=[ORDER_ID], responses={200: OrderSerializer})
    def get(self, request: Request, id: str) -> Response:
        """One mediation order with its parties (masked unless the caller needs them) and sessions."""
        return Response(OrderSerializer(order_answer(order_or_404(id), request.user)).data)


class OrderActionView(APIView):
    """POST a session, the outcome or the follow-up visit of an order."""

    permission_classes = [CommunityStaff]
    input_class: type[serializers.Serializer[Any]] = SessionSerializer

    def act(self, order: MediationOrder, values: dict[str, Any]) -> None:
        raise NotImplementedError

    def post(self, request: Request, id: str) -> Response:
        order = order_or_404(id)
        data = self.input_class(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            self.act(order, dict(data.validated_data))
        except WorkflowError as error:
            refuse(error)
        order = selectors.mediation_orders().get(pk=order.pk)
        return Response(OrderSerializer(order_answer(order, request.user)).data)


class SessionView(OrderActionView):
    input_class = SessionSerializer

    @extend_schema(
        parameters=[ORDER_ID],
        request=SessionSerializer,
        responses={200: OrderSerializer, **error_responses(409)},
    )
    def post(self, request: Request, id: str) -> Response:
        """Record a mediation session (time, place, attendees, notes)."""
        return super().post(request, id)

    def act(self, order: MediationOrder, values: dict[str, Any]) -> None:
        mediation.add_session(order_id=order.pk, **values)


class OutcomeView(OrderActionView):
    input_class = OutcomeSerializer

    @extend_schema(
        parameters=[ORDER_ID],
        request=OutcomeSerializer,
        responses={200: OrderSerializer, **error_responses(409)},
    )
    def post(self, request: Request, id: str) -> Response:
        """The outcome: an agreement (its PDF is generated) or not reached and referred."""
        return super().post(request, id)

    def act(self, order: MediationOrder, values: dict[str, Any]) -> None:
        mediation.record_outcome(order_id=order.pk, **values)


class FollowUpView(OrderActionView):
    input_class = FollowUpSerializer

    @extend_schema(
        parameters=[ORDER_ID],
        request=FollowUpSerializer,
        responses={200: OrderSerializer, **error_responses(409)},
    )
    def post(self, request: Request, id: str) -> Response:
        """The follow-up visit 30 days after the outcome: does the agreement hold?"""
        return super().post(request, id)

    def act(self, order: MediationOrder, values: dict[str, Any]) -> None:
        mediation.record_follow_up(order_id=order.pk, **values)

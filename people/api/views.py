"""People API: buildings, flats, rentals, shops, people needing care and their visits, the access log.

Every queryset is scoped like cases (people/selectors.py → grids/scoping.py): outside the caller's area is
a 404. Lists are always masked; a detail read with `?reason=…` shows what the caller's role may read
unmasked (accounts/privacy.py) and writes one access-log row per field kind."""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import privacy
from accounts.api.schema import IDEMPOTENCY_KEY, error_responses
from accounts.models import PersonalDataAccess, User
from cases import idempotency
from cases.idempotency import Answer
from command_center.api.exceptions import Unprocessable
from people import selectors, services
from people.models import Visit

from .filters import FlatFilter, RentalFilter, ShopFilter, VisitFilter
from .permissions import AdministratorOnly, VisitRecorder
from .serializers import (
    AccessLogSerializer,
    BuildingSerializer,
    CarePersonDetailSerializer,
    CarePersonSerializer,
    FlatSerializer,
    RentalSerializer,
    ShopDetailSerializer,
    ShopSerializer,
    VisitCreateSerializer,
    VisitSerializer,
)

REASON = OpenApiParameter(
    "reason",
    OpenApiTypes.STR,
    required=False,
    description=(
        "Why you need the personal data unmasked (1-500 characters). Given, the fields your role may read "
        "come unmasked and each read is written to the access log; without it everything is masked."
    ),
)


def unmasked_detail(serializer: Any) -> Any:
    """The schema of a detail a `reason` unmasks: a 403 for roles that may not."""
    return extend_schema(parameters=[REASON], responses={200: serializer, **error_responses(403)})


def _user(request: Request) -> User:
    return request.user  # type: ignore[return-value]


class UnmaskOnReason(mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """A detail that a `reason` unmasks, logged; lists stay masked."""

    personal_kinds: tuple[str, ...] = ()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        context = dict(self.get_serializer_context())
        reason = request.query_params.get("reason")
        if reason is not None:
            if len(reason) > 500:
                raise ValidationError({"detail": _("The reason is longer than 500 characters.")})
            try:
                allowed = privacy.unmaskable_fields(_user(request), self.personal_kinds, reason)
            except privacy.PrivacyError as error:
                if error.status_code == 403:
                    raise PermissionDenied(str(error.message)) from error
                raise ValidationError(
                    {"detail": str(error.message), "reason": [str(error.message)]}
                ) from error
            for kind in allowed:
                privacy.log_unmasked_read(_user(request), instance, kind, reason)
            context["unmasked"] = allowed
        return Response(self.get_serializer_class()(instance, context=context).data)


@extend_schema_view(retrieve=extend_schema(responses=BuildingSerializer))
class BuildingViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Buildings in the caller's scope with their flats' rental counts (the map's colours)."""

    serializer_class = BuildingSerializer
    filterset_fields = ["compound"]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.building_rental_counts(_user(self.request)).order_by("-id")


class FlatViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """Flats: room, floor, area, use and floor plan; no personal data."""

    serializer_class = FlatSerializer
    filterset_class = FlatFilter

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.flats(_user(self.request)).order_by("-id")


@extend_schema_view(retrieve=unmasked_detail(RentalSerializer))
class RentalViewSet(mixins.ListModelMixin, UnmaskOnReason):
    """Rentals with tenant count and lease; `ending=true`: leases ending within 30 days."""

    serializer_class = RentalSerializer
    filterset_class = RentalFilter
    personal_kinds = (privacy.NAME, privacy.PHONE)

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.rentals(_user(self.request)).order_by("-id")


@extend_schema_view(retrieve=unmasked_detail(ShopDetailSerializer))
class ShopViewSet(mixins.ListModelMixin, UnmaskOnReason):
    """Shops and units (实有单位); the detail adds staff and inspections."""

    filterset_class = ShopFilter
    personal_kinds = (privacy.NAME, privacy.PHONE)

    def get_serializer_class(self) -> Any:
        return ShopDetailSerializer if self.action == "retrieve" else ShopSerializer

    def get_queryset(self) -> QuerySet[Any]:
        queryset = selectors.shops(_user(self.request)).order_by("-id")
        return (
            queryset.prefetch_related("staff", "inspections__inspector")
            if self.action == "retrieve"
            else queryset
        )


@extend_schema_view(retrieve=unmasked_detail(CarePersonDetailSerializer))
class CarePersonViewSet(mixins.ListModelMixin, UnmaskOnReason):
    """People needing care (重点关爱人员); the detail adds needs, medicines, guardians and contacts."""

    filterset_fields = ["worker"]
    personal_kinds = privacy.FIELDS

    def get_serializer_class(self) -> Any:
        return CarePersonDetailSerializer if self.action == "retrieve" else CarePersonSerializer

    def get_queryset(self) -> QuerySet[Any]:
        queryset = selectors.care_people(_user(self.request)).order_by("-id")
        return queryset.prefetch_related("contacts") if self.action == "retrieve" else queryset


@extend_schema_view(
    create=extend_schema(
        request={"multipart/form-data": VisitCreateSerializer, "application/json": VisitCreateSerializer},
        responses={201: VisitSerializer},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class VisitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Visits to people needing care; grid workers record them from the phone (place check by position)."""

    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    permission_classes = [VisitRecorder]

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.visits(_user(self.request)).order_by("-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            key = idempotency.check_key(request.headers.get(idempotency.HEADER))
        except idempotency.BadKey as error:
            raise ValidationError({"detail": str(error)}) from error
        form = VisitCreateSerializer(data=request.data, context=self.get_serializer_context())
        if not form.is_valid():
            raise ValidationError({"detail": _("The visit was not recorded: see the fields."), **form.errors})
        files = {name: request.FILES.getlist(name) for name in request.FILES}
        fingerprint = idempotency.fingerprint(
            method="POST", path=request.path, data=request.data, files=files
        )
        try:
            answer = idempotency.answer_once(
                user=_user(request), key=key, method="POST", path=request.path,
                fingerprint=fingerprint if key else "", write=lambda: self._record(form.validated_data),
            )  # fmt: skip
        except idempotency.KeyReused as error:
            raise Unprocessable(str(error)) from error
        headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
        return Response(answer.body, status=answer.status, headers=headers)

    def _record(self, data: dict[str, Any]) -> Answer:
        position = None
        if "lat" in data:
            position = services.Position(lat=data["lat"], lng=data["lng"], accuracy=data.get("accuracy"))
        visit = services.record_visit(
            care_person=data["care_person"], visitor=_user(self.request), visited_at=data.get("visited_at"),
            position=position, note=data.get("note", ""), photo=data.get("photo"),
        )  # fmt: skip
        visit = Visit.objects.select_related("visitor").get(pk=visit.pk)
        body = VisitSerializer(visit, context=self.get_serializer_context()).data
        return Answer(status.HTTP_201_CREATED, body)


class AccessLogViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """The personal-data access log (个人信息保护法): who read what unmasked, when and why. Admins only."""

    serializer_class = AccessLogSerializer
    permission_classes = [AdministratorOnly]
    filterset_fields = ["user", "field", "object_type"]

    def get_queryset(self) -> QuerySet[PersonalDataAccess]:
        return PersonalDataAccess.objects.select_related("user").order_by("-id")

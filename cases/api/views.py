"""Cases API: list (cursor pages, filters), detail with timeline, create, one URL per workflow action.

Every queryset goes through cases.selectors (grids/scoping.py): a case outside the caller's scope is a
404, in lists and details alike. Workflow errors keep their status: 400 bad input, 403 this role or
person may not act, 409 not in this state (nothing changed).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases import selectors, services, workflow
from cases.models import Case, Category
from cases.photos import PhotoUpload
from cases.prepared import prepared_statements
from command_center.api.exceptions import Conflict
from command_center.api.pagination import CountedPage, CursorPage
from command_center.models import User

from .filters import CaseFilterBackend
from .serializers import (
    ActionSerializer,
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseListSerializer,
    CategorySerializer,
)


def raise_for(error: workflow.WorkflowError) -> None:
    """A workflow error as the matching API error, with its readable message."""
    detail: Any = str(error.message)
    if error.status_code == 403:
        raise PermissionDenied(detail) from error
    if error.status_code == 404:
        raise NotFound(detail) from error
    if error.status_code == 409:
        raise Conflict(detail) from error
    fields = {name: [str(message)] for name, message in error.fields.items()}
    raise ValidationError({"detail": detail, **fields}) from error


def uploads(
    files: list, *, lat: float | None = None, lng: float | None = None, taken_at=None
) -> list[PhotoUpload]:  # type: ignore[no-untyped-def]
    return [
        PhotoUpload(
            content=upload.read(), name=getattr(upload, "name", "photo"), lat=lat, lng=lng, taken_at=taken_at
        )
        for upload in files
    ]


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Case categories (大类/小类) with code, names, severity, clock and time limits."""

    serializer_class = CategorySerializer
    pagination_class = CountedPage
    filterset_fields = ["kind", "enabled"]

    def get_queryset(self) -> QuerySet[Category]:
        return Category.objects.select_related("parent").order_by("sort_order", "code")


class CasePage(CursorPage):
    """Newest first by creation time, the column the lists filter on (see the indexes of Case). Pages of a
    selectors.CaseListQuery by DRF's cursors: a position (a creation time) and an offset past the rows
    of that same time already shown."""

    ordering = "-created_at"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        if not isinstance(queryset, selectors.CaseListQuery):  # the schema generator's stand-in view
            return super().paginate_queryset(queryset, request, view)
        self.request = request
        self.page_size = self.get_page_size(request) or CasePage.page_size
        self.base_url = request.build_absolute_uri()
        self.ordering = (CasePage.ordering,)  # type: ignore[assignment]
        self.cursor = self.decode_cursor(request)
        cursor: Any = self.cursor  # (offset, reverse, position: a creation time as text)
        offset, reverse, position = (0, False, None) if cursor is None else cursor
        moment = None
        if position is not None:
            try:
                moment = parse_datetime(position)
            except ValueError:  # well formed, but no such time (month 13)
                moment = None
            if moment is None:
                raise NotFound(self.invalid_cursor_message)
        # One row more than a page tells whether another page follows.
        rows = queryset.rows(
            newest_first=not reverse, before=None if reverse else moment, after=moment if reverse else None,
            offset=offset, limit=self.page_size + 1,
        )  # fmt: skip
        self.page = rows[: self.page_size]
        following: Any = None
        if len(rows) > len(self.page):
            following = self._get_position_from_instance(rows[-1], self.ordering)
        shown_before = position is not None or offset > 0
        if reverse:
            self.page.reverse()
            self.has_next, self.has_previous = shown_before, following is not None
            self.next_position, self.previous_position = position, following
        else:
            self.has_next, self.has_previous = following is not None, shown_before
            self.next_position, self.previous_position = following, position
        self.display_page_controls = self.has_previous or self.has_next  # the browsable API's links
        return self.page


class CaseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Cases in the caller's scope, newest first (cursor pages: no count of the whole table)."""

    filter_backends = [CaseFilterBackend]
    pagination_class = CasePage

    def get_queryset(self) -> QuerySet[Case, Any]:
        user = self.request.user
        if self.action == "retrieve":
            return selectors.case_detail(user)  # type: ignore[arg-type]
        if self.action == "list" and not getattr(self, "swagger_fake_view", False):
            return selectors.CaseListQuery(user)  # type: ignore[arg-type,return-value]
        return selectors.case_list(user)  # type: ignore[arg-type]

    # The hottest reads: their queries are planned once per connection (cases/prepared.py).
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with prepared_statements():
            return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with prepared_statements():
            return super().retrieve(request, *args, **kwargs)

    def get_object(self) -> Case:
        # The detail: the scope checked through selectors, the row fetched by SQL compiled once.
        # The 404s say what DRF's get_object_or_404 says.
        try:
            pk = int(self.kwargs[self.lookup_field])
        except ValueError:
            raise Http404 from None
        case = selectors.case_for_detail(self.request.user, pk)  # type: ignore[arg-type]
        if case is None:
            raise Http404(f"No {Case._meta.object_name} matches the given query.")
        self.check_object_permissions(self.request, case)
        return case

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action == "retrieve":
            return CaseDetailSerializer
        if self.action == "create":
            return CaseCreateSerializer
        return CaseListSerializer

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = CaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user: User = request.user  # type: ignore[assignment]
        default_source = Case.Source.PATROL if user.role == User.Role.GRID_WORKER else Case.Source.MANUAL
        try:
            case = services.create_case(
                source=values.get("source") or default_source,
                category_code=values["category"],
                description=values["description"],
                title=values["title"],
                address=values["address"],
                lat=values["lat"],
                lng=values["lng"],
                severity=values.get("severity") or "",
                reporter=user,
                photos=uploads(values.get("photos") or [], lat=values["lat"], lng=values["lng"]),
            )
        except workflow.WorkflowError as error:
            raise_for(error)
        case = selectors.case_detail(user).get(pk=case.pk)
        body = CaseDetailSerializer(case, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(responses=CaseListSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def queue(self, request: Request) -> Response:
        """Open cases by urgency and then the nearest deadline (the dispatcher's queue, at most 200)."""
        cases = selectors.queue_for(request.user)  # type: ignore[arg-type]
        return Response({"results": CaseListSerializer(cases, many=True).data})


class CaseActionView(APIView):
    """POST /api/v1/cases/<id>/<action>/: one workflow action (file, dispatch, accept, handle, verify...)."""

    @extend_schema(
        operation_id="v1_cases_action", request=ActionSerializer, responses={200: CaseDetailSerializer}
    )
    def post(self, request: Request, pk: int, action_name: str) -> Response:
        name = action_name.replace("-", "_")
        transition = workflow.TRANSITIONS.get(name)
        if transition is None:
            raise NotFound(_("Unknown action %(action)s.") % {"action": action_name})
        user: User = request.user  # type: ignore[assignment]
        if not selectors.cases_for(user).filter(pk=pk).exists():
            raise NotFound(_("Case %(id)s does not exist.") % {"id": pk})
        data = ActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        key = request.headers.get("Idempotency-Key") or values.pop("idempotency_key", "") or None
        note = values.pop("note", "")
        photos = uploads(
            values.pop("photos", None) or [],
            lat=values.pop("photo_lat", None),
            lng=values.pop("photo_lng", None),
            taken_at=values.pop("taken_at", None),
        )
        try:
            if name == "rate":
                stars = values.get("stars") or 0  # 0 stars: refused by the workflow with a clear message
                services.rate_case(case_id=pk, stars=stars, comment=note, actor=user, idempotency_key=key)
            else:
                workflow.apply_transition(
                    case_id=pk, action=name, actor=user, note=note, params=values, photos=photos,
                    idempotency_key=key,
                )  # fmt: skip
        except workflow.WorkflowError as error:
            raise_for(error)
        case = selectors.case_detail(user).filter(pk=pk).first()
        if case is None:  # e.g. a handler returned the case: it left their scope
            return Response({"id": pk, "detail": _("Done. The case is no longer in your scope.")})
        return Response(CaseDetailSerializer(case, context={"request": request}).data)

"""Cases API: list (cursor pages, filters), detail with timeline, create, one operation per workflow action.

Every queryset goes through cases.selectors (grids/scoping.py): a case outside the caller's scope is a
404, in lists and details alike. Workflow errors keep their status: 400 bad input, 403 this role or
person may not act, 409 not in this state (nothing changed).

Writes (create and the actions) are retry-safe: each runs in one transaction that builds its answer
from what it wrote; with an Idempotency-Key header a repeat gets the first answer (cases/idempotency.py);
a failure after the commit is logged, never answered with a 5xx (command_center/api/writes.py).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.schema import IDEMPOTENCY_KEY, error_responses
from accounts.models import User
from cases import idempotency, selectors, services, workflow
from cases.idempotency import Answer
from cases.models import Case, Category
from cases.photos import PhotoUpload
from cases.prepared import prepared_statements
from command_center.api.exceptions import Conflict, Unprocessable
from command_center.api.fields import in_utc
from command_center.api.pagination import CountedPage, CursorPage

from .filters import CaseFilterBackend
from .inputs import ACTION_INPUTS
from .serializers import (
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
    files: list[Any], *, lat: float | None = None, lng: float | None = None, taken_at: datetime | None = None
) -> list[PhotoUpload]:
    return [
        PhotoUpload(
            content=upload.read(), name=getattr(upload, "name", "photo"), lat=lat, lng=lng, taken_at=taken_at
        )
        for upload in files
    ]


def respond_once(request: Request, write: Callable[[], Answer]) -> Response:
    """Run a write and answer what it built; with an Idempotency-Key, at most once per key and request.
    `write` checks its input too: what it raises leaves nothing behind and is answered as a 4xx."""
    try:
        key = idempotency.check_key(request.headers.get(idempotency.HEADER))
    except idempotency.BadKey as error:
        raise ValidationError({"detail": str(error)}) from error
    files = {name: request.FILES.getlist(name) for name in request.FILES}
    method = request.method or "POST"
    try:
        answer = idempotency.answer_once(
            user=request.user,  # type: ignore[arg-type]
            key=key,
            method=method,
            path=request.path,
            fingerprint=idempotency.fingerprint(
                method=method, path=request.path, data=request.data, files=files
            )
            if key
            else "",
            write=write,
        )
    except idempotency.KeyReused as error:
        raise Unprocessable(str(error)) from error
    except workflow.WorkflowError as error:
        raise_for(error)
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return Response(answer.body, status=answer.status, headers=headers)


def case_answer(case_id: int, request: Request, *, status_code: int = status.HTTP_200_OK) -> Answer:
    """The case as it is now, in the writer's transaction: the actor sees what they did, even when it
    took the case out of their scope (a handler who returned it)."""
    case = Case.objects.get(pk=case_id)
    return Answer(status_code, CaseDetailSerializer(case, context={"request": request}).data)


def case_id_from(raw: Any) -> int:
    """The case id of a URL: a positive whole number of at most 64 bits, else no such case (404)."""
    text = str(raw)
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**63:
        raise NotFound(_("Case %(id)s does not exist.") % {"id": text[:30]})
    return int(text)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet[Category]):
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
                moment = in_utc(moment) if moment is not None and moment.tzinfo else moment
            except ValueError:  # well formed, but no such time (month 13), or out of range
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
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[Case]
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

    @extend_schema(
        request=CaseCreateSerializer, responses={201: CaseDetailSerializer}, parameters=[IDEMPOTENCY_KEY]
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Report a case (发现): it starts discovered, and is filed and dispatched at once when its
        category says so. A nearby open case of the same category is offered for merging."""
        user: User = request.user  # type: ignore[assignment]

        def write() -> Answer:
            data = CaseCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
            default_source = Case.Source.PATROL if user.role == User.Role.GRID_WORKER else Case.Source.MANUAL
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
            return case_answer(case.pk, request, status_code=status.HTTP_201_CREATED)

        return respond_once(request, write)

    @extend_schema(
        responses=inline_serializer("CaseQueue", {"results": CaseListSerializer(many=True)}),
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def queue(self, request: Request) -> Response:
        """Open cases by urgency and then the nearest deadline (the dispatcher's queue, at most 200)."""
        cases = selectors.queue_for(request.user)  # type: ignore[arg-type]
        return Response({"results": CaseListSerializer(cases, many=True).data})  # type: ignore[arg-type]  # rows as dicts


CASE_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, location=OpenApiParameter.PATH, description="the case's id"
)


class CaseActionView(APIView):
    """POST /api/v1/cases/<id>/<action>/: one workflow action, with the input that action takes."""

    action_name = ""
    input_class: type[serializers.Serializer[Any]]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        case_id = case_id_from(kwargs["id"])
        user: User = request.user  # type: ignore[assignment]

        def write() -> Answer:
            if not selectors.cases_for(user).filter(pk=case_id).exists():
                raise NotFound(_("Case %(id)s does not exist.") % {"id": case_id})
            data = self.input_class(data=request.data)
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
            note = values.pop("note", "")
            photos = uploads(
                values.pop("photos", None) or [],
                lat=values.pop("photo_lat", None),
                lng=values.pop("photo_lng", None),
                taken_at=values.pop("taken_at", None),
            )
            if self.action_name == "rate":
                services.rate_case(case_id=case_id, stars=values["stars"], comment=note, actor=user)
            else:
                workflow.apply_transition(
                    case_id=case_id,
                    action=self.action_name,
                    actor=user,
                    note=note,
                    params=values,
                    photos=photos,
                )
            return case_answer(case_id, request)

        return respond_once(request, write)


def _action_view(name: str) -> type[CaseActionView]:
    transition = workflow.TRANSITIONS[name]
    roles = ", ".join(sorted(role for role in transition.roles if role not in (workflow.NonStaff.SYSTEM,)))
    sources = ", ".join(sorted(transition.sources))
    title = "".join(part.title() for part in name.split("_"))
    view = type(
        f"Case{title}View", (CaseActionView,), {"action_name": name, "input_class": ACTION_INPUTS[name]}
    )
    schema = extend_schema(
        operation_id=f"v1_cases_{name}",
        summary=name.replace("_", " ").capitalize(),
        description=(
            f"Workflow action `{name}` (cases/workflow/table.py). Who: {roles}. From: {sources}. "
            "Answers the case as it is after the action."
        ),
        request=ACTION_INPUTS[name],
        parameters=[CASE_ID, IDEMPOTENCY_KEY],
        responses={200: CaseDetailSerializer, **error_responses(409)},
    )
    return extend_schema_view(post=schema)(view)


# One view, URL and documented operation per action a person takes (never an @action named "dispatch":
# it would shadow View.dispatch). URLs keep hyphens: /api/v1/cases/<id>/request-extension/.
ACTION_VIEWS: dict[str, type[CaseActionView]] = {name: _action_view(name) for name in ACTION_INPUTS}

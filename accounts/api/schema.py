"""The OpenAPI schema documents every status an operation can answer, not only its success.

Every error answers {"detail": "...", ...} (command_center/api/exceptions.py). The statuses that follow
from how a view is built are added here for every operation: 400 when it takes input, 401 when it needs
a signed-in caller, 403 when a role can be refused, 404 for a path with an id or a paged list, 422 when
it takes an Idempotency-Key. Statuses only a view knows (409: the object's state does not allow it) are
declared by the view itself with ERROR_RESPONSES.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated

from accounts.api.permissions import StaffMember


class ErrorSerializer(serializers.Serializer[dict[str, str]]):
    detail = serializers.CharField(help_text="What was wrong, in the caller's language.")


ERROR = OpenApiResponse(ErrorSerializer, description="What was wrong (`detail`), with field errors by name.")
ERROR_DESCRIPTIONS = {
    400: "Bad input: `detail` and the fields' errors by name; nothing was stored.",
    401: "Not signed in: send `Authorization: Token <key>` (POST /api/v1/auth/token/).",
    403: "This role or person may not do this.",
    404: "Not found, or outside the caller's area.",
    409: "The object's state does not allow this now; nothing changed.",
    422: "This Idempotency-Key was used in the last 24 hours for another request.",
    429: "Too many attempts; try again later.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Responses for @extend_schema(responses=...) of statuses only the view knows (409, 429)."""
    return {code: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]) for code in codes}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID) per write, 1-255 printable ASCII characters. Sent again with the same "
        "body within 24 hours, the write is not repeated and its first answer comes back (header "
        "`Idempotent-Replayed: true`); the same key with another request answers 422."
    ),
)


class ApiSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(  # type: ignore[no-untyped-call]  # drf-spectacular's own helper, unannotated
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]), str(code)
                )
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[int]:
        permissions = self.view.get_permissions()
        public = all(isinstance(permission, AllowAny) for permission in permissions)
        writes = self.method not in SAFE_METHODS
        parameters = self._get_parameters()
        takes_input = writes or any(parameter["in"] != "path" for parameter in parameters)
        codes = [400] if takes_input else []
        if not public:
            codes.append(401)
            # A signed-in caller's read is refused only by permissions beyond being signed in.
            strict = [p for p in permissions if type(p) not in (IsAuthenticated, StaffMember, AllowAny)]
            if writes or strict:
                codes.append(403)
        # An id that is not there; a page or cursor that is not one.
        paged = self.method == "GET" and self._is_list_view() and self._get_paginator() is not None  # type: ignore[no-untyped-call]  # unannotated helper
        if "{" in self.path or paged:
            codes.append(404)
        if any(parameter["name"] == IDEMPOTENCY_KEY.name for parameter in parameters):
            codes.append(422)
        return codes

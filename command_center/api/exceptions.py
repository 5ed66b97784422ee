"""API errors: every error answers {"detail": "...", ...} with a readable message (field errors by name
beside it), so a client shows `detail` and can mark the fields."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(APIException):
    """The request is valid but the object's state does not allow it (e.g. an illegal transition)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This action is not allowed in the object's current state.")
    default_code = "conflict"


class Unprocessable(APIException):
    """The request is well formed but cannot be taken (an Idempotency-Key used for another request)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This request cannot be processed.")
    default_code = "unprocessable"


class Locked(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many failed logins; try again later.")
    default_code = "locked"


def _messages(errors: Any) -> list[str]:
    if isinstance(errors, dict):
        return [message for value in errors.values() for message in _messages(value)]
    if isinstance(errors, list):
        return [message for value in errors for message in _messages(value)]
    return [str(errors)]


def _summary(errors: Any) -> str:
    """One line of the errors: each field's first message, after its name."""
    if isinstance(errors, dict):
        parts = []
        for name, value in errors.items():
            messages = _messages(value)
            if messages:
                parts.append(
                    messages[0] if name in ("detail", "non_field_errors") else f"{name}: {messages[0]}"
                )
        return "; ".join(parts)
    return "; ".join(_messages(errors))


def with_detail(data: Any) -> dict[str, Any]:
    """The error body with a `detail` text: field errors keep their names beside it; a list of errors
    (a list of items sent, each with its own) goes under `errors`."""
    if isinstance(data, dict):
        detail = data.get("detail")
        if isinstance(detail, str):
            return data
        if detail is not None:
            return {**data, "detail": " ".join(_messages(detail))}
        return {"detail": _summary(data) or str(ValidationError.default_detail), **data}
    return {"detail": _summary(data) or str(ValidationError.default_detail), "errors": data}


def exception_handler(exc, context):  # type: ignore[no-untyped-def]
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = with_detail(response.data)
    return response

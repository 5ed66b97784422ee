"""API errors: every error answers {"detail": "...", ...} with a readable message."""

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


class Locked(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = _("Too many failed logins; try again later.")
    default_code = "locked"


def exception_handler(exc, context):  # type: ignore[no-untyped-def]
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
    return drf_exception_handler(exc, context)

"""The errors of the case machine and of the writes around it. Each carries the HTTP status the API
answers with: 400 bad input, 403 the role or person may not act, 404 unknown, 409 the state does not
allow it. Nothing is written when one is raised."""

from typing import Any


class WorkflowError(Exception):
    status_code = 400

    def __init__(self, message: Any, **fields: Any) -> None:
        super().__init__(str(message))
        self.message = message
        self.fields = fields


class BadInput(WorkflowError):
    status_code = 400


class ActionForbidden(WorkflowError):
    status_code = 403


class UnknownAction(WorkflowError):
    status_code = 404


class CaseNotFound(WorkflowError):
    status_code = 404


class IllegalTransition(WorkflowError):
    status_code = 409

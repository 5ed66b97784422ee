"""The schema tells a client what to send and what comes back: each case action is its own operation with
the fields it takes (the required ones required), every status it can answer, and the Idempotency-Key
header; answers are described as they are (the queue is an object, a major category has no parent,
an empty choice is a value)."""

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

# action (URL) → the fields it requires
ACTIONS = {
    "file": [], "reject": ["reason"], "merge": ["into"], "dispatch": [], "return": ["note"], "accept": [],
    "handle": [], "verify": ["passed"], "close": ["evaluation"], "suspend": ["note"], "resume": [],
    "request-extension": ["note", "until"], "approve-extension": [], "deny-extension": [], "reopen": [],
    "rate": ["stars"],
}  # fmt: skip


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def component(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return schema["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]  # type: ignore[no-any-return]


def test_each_case_action_is_its_own_operation(schema) -> None:  # type: ignore[no-untyped-def]
    paths = schema["paths"]
    assert not [path for path in paths if "action_name" in path]
    actions = {
        path.split("/")[-2]
        for path, methods in paths.items()
        if path.startswith("/api/v1/cases/{id}/") and "post" in methods
    } - {"{id}"}
    assert actions == set(ACTIONS)
    for action, required in ACTIONS.items():
        operation = paths[f"/api/v1/cases/{{id}}/{action}/"]["post"]
        body = operation["requestBody"]["content"]
        assert {"application/json", "multipart/form-data"} <= set(body), action
        fields = component(schema, body["application/json"]["schema"])
        assert sorted(fields.get("required", [])) == sorted(required), action
        assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "409", "422"}, action
        headers = [p["name"] for p in operation["parameters"] if p["in"] == "header"]
        assert headers == ["Idempotency-Key"], action


def test_the_inputs_name_their_choices(schema) -> None:  # type: ignore[no-untyped-def]
    def properties(action: str) -> dict[str, Any]:
        body = schema["paths"][f"/api/v1/cases/{{id}}/{action}/"]["post"]["requestBody"]["content"]
        return component(schema, body["application/json"]["schema"])["properties"]  # type: ignore[no-any-return]

    assert component(schema, properties("close")["evaluation"])["enum"] == [
        "excellent",
        "good",
        "fair",
        "poor",
    ]
    assert component(schema, properties("reject")["reason"])["enum"] == [
        "false_alarm",
        "out_of_scope",
        "other",
    ]
    assert properties("rate")["stars"] == {"type": "integer", "maximum": 5, "minimum": 1}
    assert "photos" in properties("handle")
    assert "photos" not in properties("close")


def test_every_operation_documents_its_errors(schema) -> None:  # type: ignore[no-untyped-def]
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            where = f"{method.upper()} {path}"
            # Anyone may call these without an account (the token exchange, residents' reports).
            public = {} in operation.get("security", []) or path == "/api/v1/auth/token/"
            if not public:
                assert "401" in codes, where
            if "{id}" in path:
                assert "404" in codes, where
            if method == "post":
                assert "400" in codes, where
                assert "403" in codes or public, where
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    error = component(schema, response["content"]["application/json"]["schema"])
                    assert error["required"] == ["detail"], where


def test_answers_are_described_as_they_are(schema) -> None:  # type: ignore[no-untyped-def]
    queue = schema["paths"]["/api/v1/cases/queue/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert component(schema, queue["schema"])["type"] == "object"
    category = schema["components"]["schemas"]["Category"]["properties"]
    assert category["parent"]["nullable"] is True
    for name, field in (
        ("SensorPoint", "acoustic_zone"),
        ("Alarm", "clear_reason"),
        ("CaseDetail", "evaluation"),
    ):
        choices = schema["components"]["schemas"][name]["properties"][field]
        refs = [component(schema, option) for option in choices.get("oneOf", [])]
        assert any("" in ref.get("enum", []) for ref in refs), (name, field)

"""Schemathesis against /api/schema/, in process (WSGI) on the test database, as every role and anonymous.

Each operation gets the schema's examples, its coverage cases (boundaries, missing and wrong values) and a
bounded number of generated requests, valid and invalid; path ids are drawn half of the time from the
rows seeded here, so details and actions reach real cases, alarms and points. Checks: no 5xx, the body
matches its documented schema, its status and its content type are documented. The bound keeps the run to
a few minutes; SCHEMATHESIS_EXAMPLES raises it for a longer hunt, SCHEMATHESIS_SEED changes the draw.

The engine is the one `schemathesis run` uses (its phases and checks), driven from here so that it calls
the Django application in this process, on the database the test set up."""

import os
from typing import Any

import pytest
import schemathesis
from schemathesis.engine import events, from_schema

from command_center.wsgi import application
from tests.command_center.api_world import ROLES, World, build_world
from tests.people.api_world import people_rows

CHECKS = [
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
]
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261121"))

# The engine calls the application from worker threads: the seeded rows must be committed to be seen.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quick_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def config_for(world: World, role: str) -> schemathesis.Config:
    rows = people_rows(world)
    ids = {
        "^/api/v1/cases/": [case.pk for case in world.cases.values()],
        "^/api/v1/mobile/cases/": [case.pk for case in world.cases.values()],
        "^/api/v1/alarms/": [world.alarm.pk, *(world.new_alarm().pk for _ in range(5))],
        "^/api/v1/sensor-points/": [world.point.pk],
        "^/api/v1/grids/": [world.place.grid.pk],
        "^/api/v1/compounds/": [world.place.compound.pk],
        "^/api/v1/categories/": [world.category.pk],
        "^/api/v1/dead-letters/": [world.dead_letter.pk],
        # people
        "^/api/v1/buildings/": [rows.building_id],
        "^/api/v1/flats/": [rows.flat.pk],
        "^/api/v1/rentals/": [rows.rental.pk],
        "^/api/v1/shops/": [rows.shop.pk],
        "^/api/v1/care-persons/": [rows.care_person.pk],
        "^/api/v1/visits/": [rows.visit.pk],
        "^/api/v1/access-log/": [rows.access.pk],
    }
    # The in-process transport hands the body over as it comes: ask for it unzipped (the wall screen's
    # snapshot is gzipped for browsers, which unzip it themselves).
    headers = {"Accept-Encoding": "identity"}
    if role != "anonymous":
        headers["Authorization"] = f"Token {world.tokens[role]}"
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "headers": headers,
            "dictionaries": {f"ids{n}": {"values": values} for n, values in enumerate(ids.values())},
            "operations": [
                {
                    "include-path-regex": regex,
                    "parameters": {"path.id": {"dictionary": f"ids{n}", "probability": 0.5}},
                }
                for n, regex in enumerate(ids)
            ],
            "generation": {"max-examples": EXAMPLES, "database": "none"},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    )


def run(world: World, role: str) -> list[str]:
    """Every distinct failure and error of a run as `role`: one line each, with a curl to repeat it."""
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, config=config_for(world, role)
    )
    found: dict[str, str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            found.setdefault(f"error: {_error_text(event)}", "")
        elif isinstance(event, events.ScenarioFinished):
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        title = f"{failure.operation}: {check.name}: {failure.title}: {failure.message}"
                        found.setdefault(title, check.failure_info.code_sample)
        elif isinstance(event, events.EngineFinished):
            for failure in event.failures:
                found.setdefault(f"{failure.operation}: {failure.title}: {failure.message}", "")
    return [
        f"{role}: {title}\n    {sample}" if sample else f"{role}: {title}" for title, sample in found.items()
    ]


def _error_text(event: Any) -> str:
    value = getattr(event, "value", None) or getattr(event, "exception", None)
    label = getattr(event, "label", "")
    return f"{label}: {type(value).__name__}: {value}"


@pytest.mark.parametrize("role", ROLES)
def test_the_api_keeps_its_contract(role: str) -> None:
    world = build_world()
    failures = run(world, role)
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures)

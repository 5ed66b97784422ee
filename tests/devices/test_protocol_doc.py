"""Every mosquitto_pub example in docs/device-protocol.md is a valid protocol v1 message, and every
type and dead-letter reason is documented."""

import re
import uuid

from django.utils import timezone

from devices.mqtt.payloads import BUILTIN_TYPES, Reason, parse_message
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "device-protocol.md").read_text()


def examples() -> list[str]:
    found = re.findall(r'^pub "(.*)"$', DOC, re.M)
    now = timezone.now().isoformat()
    return [
        line.replace('\\"', '"').replace("$(uuidgen)", str(uuid.uuid4())).replace("$TS", now)
        for line in found
    ]


def test_every_example_parses_and_every_type_has_one():
    messages = [
        parse_message("sensors/SD-000123/data", text.encode(), now=timezone.now()) for text in examples()
    ]
    assert {m.type for m in messages} == set(BUILTIN_TYPES)


def test_every_dead_letter_reason_is_documented():
    for reason in Reason:
        assert f"| `{reason.value}` |" in DOC, reason

"""The sensor type catalogue is the one place a type is added: the parser accepts what it says, the
simulator sends it, and a new type (gas) needed nothing else but its line in docs/device-protocol.md."""

import json
import random
from datetime import UTC, datetime

import pytest

from devices import simulator as sim
from devices.mqtt.payloads import PayloadError, Reason, parse_message
from devices.sensor_types import SENSOR_TYPES, ValueKind

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def message(type_: str, value: object) -> bytes:
    return json.dumps({"id": "m-1", "ts": NOW.isoformat(), "type": type_, "value": value}).encode()


@pytest.mark.parametrize("name", [name for name, sensor in SENSOR_TYPES.items() if sensor.normal is not None])
def test_every_simulated_normal_reading_parses(name: str) -> None:
    rng = random.Random(7)
    for _ in range(200):
        value = sim.normal_value(name, rng, NOW)
        assert parse_message("sensors/X-1/data", message(name, value), now=NOW).value == value


def test_a_gas_sensor_is_one_catalogue_entry() -> None:
    assert SENSOR_TYPES["gas"].value.kind is ValueKind.NUMBER
    assert parse_message("sensors/GAS-1/data", message("gas", 31.5), now=NOW).value == 31.5
    with pytest.raises(PayloadError) as raised:
        parse_message("sensors/GAS-1/data", message("gas", 120), now=NOW)
    assert raised.value.reason is Reason.BAD_VALUE
    incident = next(incident for incident in sim.INCIDENTS if incident.sensor_type == "gas")
    assert (incident.low, incident.high) == (25, 60)
    assert "gas" not in sim.INTEGER_TYPES
    assert "gas" not in sim.ALARM_ONLY_TYPES

"""The sensor type catalogue: one entry per protocol `type`, read by the protocol parser (what a value
may be) and the simulator (plausible normal and abnormal readings). No Django: the parser is pure.

A new sensor type is one entry here plus its line (and an example) in docs/device-protocol.md; a
scene in devices/catalogue.py (or the admin) makes its readings raise alarms.
"""

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from zoneinfo import ZoneInfo

HEARTBEAT = "heartbeat"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class ValueKind(Enum):
    BINARY = "binary"  # 0 or 1
    TRIGGER = "trigger"  # always 1 (an SOS press)
    NUMBER = "number"  # a finite number within the type's range
    NONE = "none"  # no value (heartbeat)


@dataclass(frozen=True)
class ValueSpec:
    kind: ValueKind
    minimum: float = -math.inf
    maximum: float = math.inf


Reading = Callable[[random.Random, datetime], float | int | None]


@dataclass(frozen=True)
class Abnormal:
    """The simulator's incidents of a type: how often (relative weight), which values, how long."""

    weight: float
    low: float
    high: float
    minutes: tuple[float, float]  # (0, 0): a single message, no clearing value
    night_only: bool = False


@dataclass(frozen=True)
class SensorType:
    value: ValueSpec  # what the protocol accepts
    normal: Reading | None = None  # the simulator's normal reading; None: the type sends heartbeats only
    abnormal: Abnormal | None = None
    clear: Reading | None = None  # the reading that ends an incident, if not a normal one


def is_night(at: datetime) -> bool:
    """GB 3096: night is 22:00-06:00 local time."""
    hour = at.astimezone(SHANGHAI).hour
    return hour >= 22 or hour < 6


def _always(value: int) -> Reading:
    return lambda rng, at: value


def _between(low: float, high: float, digits: int = 1) -> Reading:
    return lambda rng, at: round(rng.uniform(low, high), digits)


def _passing(rng: random.Random, at: datetime) -> int:
    return 1 if rng.random() < 0.05 else 0  # a car or a bicycle passing by


def _noise(rng: random.Random, at: datetime) -> float:
    return round(rng.uniform(32, 43) if is_night(at) else rng.uniform(42, 54), 1)


BINARY = ValueSpec(ValueKind.BINARY)

# In the simulator's order of incidents (its seeded runs depend on it). Limits: GB 50974 (hydrant
# ≥ 0.10 MPa), GB 3096 class 1 (night 45 dB(A)).
SENSOR_TYPES: dict[str, SensorType] = {
    "smoke": SensorType(BINARY, _always(0), Abnormal(5, 1, 1, (2, 5))),
    "water_pressure": SensorType(  # MPa
        ValueSpec(ValueKind.NUMBER, 0.0, 10.0), _between(0.18, 0.45, 3), Abnormal(2, 0.03, 0.09, (12, 20))
    ),
    "noise": SensorType(  # dB(A)
        ValueSpec(ValueKind.NUMBER, 0.0, 200.0), _noise, Abnormal(2, 55, 72, (10, 25), night_only=True)
    ),
    "geomagnetic": SensorType(BINARY, _passing, Abnormal(3, 1, 1, (10, 30)), clear=_always(0)),
    "door": SensorType(BINARY, _always(0), Abnormal(2, 1, 1, (5, 15))),
    "temperature": SensorType(  # °C
        ValueSpec(ValueKind.NUMBER, -60.0, 200.0), _between(16, 31), Abnormal(1, 62, 85, (3, 8))
    ),
    "water_level": SensorType(  # cm
        ValueSpec(ValueKind.NUMBER, 0.0, 10000.0), _between(0, 3), Abnormal(0.5, 15, 35, (20, 40))
    ),
    "sos": SensorType(ValueSpec(ValueKind.TRIGGER), None, Abnormal(0.3, 1, 1, (0, 0))),
    "gas": SensorType(  # combustible gas, %LEL: the first alarm level is 25 (GB/T 50493)
        ValueSpec(ValueKind.NUMBER, 0.0, 100.0), _between(0, 4), Abnormal(0.5, 25, 60, (5, 15))
    ),
    HEARTBEAT: SensorType(ValueSpec(ValueKind.NONE)),
}

"""Device protocol v1: the pure parser (no Django, no database), see docs/device-protocol.md.

Topic `sensors/<device_code>/data`, QoS 1, a UTF-8 JSON object of at most 4 KiB:

    {"id": "8c1f...", "ts": "2026-11-21T08:00:00+08:00", "type": "smoke", "value": 1, "battery": 87}

`parse_message()` returns a `Message` or raises `PayloadError` with one `Reason`; it never raises
anything else, whatever the bytes (tested with hypothesis). Checks that need the registry (unknown or
inactive device) are the ingest service's, with the reasons defined here so every dead letter speaks
the same vocabulary.
"""

import json
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson

from ..sensor_types import SENSOR_TYPES, ValueKind, ValueSpec

MAX_PAYLOAD_BYTES = 4096
MAX_ID_LENGTH = 64
MAX_FUTURE = timedelta(hours=24)
MAX_PAST = timedelta(days=30)
TOPIC_PREFIX = "sensors/"
TOPIC_SUFFIX = "/data"
# A device code is also the broker username and one topic level: no wildcards, slashes or spaces.
DEVICE_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
# The end of an object key: its closing quote, blanks, the colon. A quote inside a string is escaped.
_KEY_END = re.compile(rb'"[ \t\n\r]*:')


class Reason(StrEnum):
    """Why a message became a dead letter. Stored in DeadLetter.reason and counted on the screen."""

    OVERSIZE = "oversize"  # payload over MAX_PAYLOAD_BYTES
    BAD_TOPIC = "bad_topic"  # not sensors/<valid device code>/data
    MALFORMED_JSON = "malformed_json"  # not UTF-8, not JSON, not one JSON object, duplicate keys, NaN
    MISSING_FIELD = "missing_field"  # id, ts, type or (except heartbeat) value absent
    WRONG_TYPE = "wrong_type"  # a field of the wrong JSON type (e.g. "value": "1")
    BAD_VALUE = "bad_value"  # right type, impossible value (smoke 2, battery 150, empty id)
    BAD_TIMESTAMP = "bad_timestamp"  # ts not ISO 8601 or without a UTC offset
    TS_OUT_OF_RANGE = "ts_out_of_range"  # more than 24 h ahead or 30 days behind the server clock
    UNKNOWN_TYPE = "unknown_type"  # a type neither built in nor in the scene catalogue
    TOPIC_MISMATCH = "topic_mismatch"  # the payload's "device" differs from the topic's device code
    UNKNOWN_DEVICE = "unknown_device"  # set by the ingest service: no sensor point with this code
    INACTIVE_DEVICE = "inactive_device"  # set by the ingest service: point in maintenance or retired
    PROCESSING_FAILED = "processing_failed"  # set by the inbox sweeper after repeated failures


# Built-in types (devices/sensor_types.py). A type that only the scene catalogue knows is a number
# without a range.
BUILTIN_TYPES: dict[str, ValueSpec] = {name: sensor.value for name, sensor in SENSOR_TYPES.items()}
CATALOGUE_ONLY_SPEC = ValueSpec(ValueKind.NUMBER)


@dataclass(frozen=True)
class Message:
    device_code: str
    msg_id: str
    ts: datetime  # aware
    type: str
    value: float | None
    battery: int | None


class PayloadError(ValueError):
    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


def device_code_from_topic(topic: str) -> str:
    """The device code of `sensors/<code>/data`, or PayloadError(BAD_TOPIC)."""
    if not topic.startswith(TOPIC_PREFIX) or not topic.endswith(TOPIC_SUFFIX):
        raise PayloadError(Reason.BAD_TOPIC, "topic must be sensors/<device code>/data")
    code = topic[len(TOPIC_PREFIX) : -len(TOPIC_SUFFIX)]
    if not DEVICE_CODE_RE.match(code):
        raise PayloadError(
            Reason.BAD_TOPIC, "device code must be 1-64 letters, digits, '.', '_' or '-' (no '/')"
        )
    return code


def value_spec(type_: str, catalogue_types: Collection[str] = ()) -> ValueSpec | None:
    spec = BUILTIN_TYPES.get(type_)
    if spec is None and type_ in catalogue_types:
        spec = CATALOGUE_ONLY_SPEC
    return spec


def parse_message(
    topic: str, payload: bytes, *, now: datetime, catalogue_types: Collection[str] = ()
) -> Message:
    """Parse and validate one protocol v1 message; `now` (aware) bounds the timestamp."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError(
            Reason.OVERSIZE, f"payload is {len(payload)} bytes, the limit is {MAX_PAYLOAD_BYTES}"
        )
    device_code = device_code_from_topic(topic)
    body = _decode(payload)

    msg_id = _required(body, "id", str)
    if not msg_id or len(msg_id) > MAX_ID_LENGTH or not msg_id.isprintable():
        raise PayloadError(Reason.BAD_VALUE, f"id must be 1-{MAX_ID_LENGTH} printable characters")

    device = body.get("device")
    if device is not None and device != device_code:
        raise PayloadError(Reason.TOPIC_MISMATCH, "the payload's device differs from the topic's device code")

    ts = _timestamp(_required(body, "ts", str), now)

    type_ = _required(body, "type", str)
    spec = value_spec(type_, catalogue_types)
    if spec is None:
        raise PayloadError(Reason.UNKNOWN_TYPE, f"unknown type {type_[:40]!r}")
    value = _value(body, type_, spec)
    battery = _battery(body.get("battery"))
    return Message(device_code=device_code, msg_id=msg_id, ts=ts, type=type_, value=value, battery=battery)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, item in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = item
    return result


def _decode(payload: bytes) -> Mapping[str, Any]:
    """The payload's JSON object. orjson first (a tenth of the standard parser's time); whenever it fails
    or a key may repeat, the standard parser decides, so the errors and their messages are its own."""
    try:
        body = orjson.loads(payload)
    except ValueError:  # orjson.JSONDecodeError, whatever the bytes
        body = None
    # Every key of the object ends with one _KEY_END, so as many of them as the dict has keys means no
    # key was given twice (orjson keeps the last); more (nested objects, a key-like string): check.
    if isinstance(body, dict) and len(_KEY_END.findall(payload)) == len(body):
        return body
    try:
        text = payload.decode("utf-8")
        body = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadError(Reason.MALFORMED_JSON, f"not UTF-8 JSON: {str(exc)[:120]}") from None
    if not isinstance(body, dict):
        raise PayloadError(Reason.MALFORMED_JSON, "payload must be one JSON object")
    return body


def _required(body: Mapping[str, Any], field: str, kind: type) -> Any:
    if field not in body or body[field] is None:
        raise PayloadError(Reason.MISSING_FIELD, f"field {field!r} is required")
    item = body[field]
    if not isinstance(item, kind):
        raise PayloadError(Reason.WRONG_TYPE, f"field {field!r} must be a {kind.__name__}")
    return item


def _timestamp(text: str, now: datetime) -> datetime:
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        raise PayloadError(
            Reason.BAD_TIMESTAMP, "ts must be ISO 8601, e.g. 2026-11-21T08:00:00+08:00"
        ) from None
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise PayloadError(Reason.BAD_TIMESTAMP, "ts must carry a UTC offset, e.g. +08:00")
    try:
        too_new, too_old = ts > now + MAX_FUTURE, ts < now - MAX_PAST
    except OverflowError:  # dates near year 1 or 9999
        too_new = too_old = True
    if too_new or too_old:
        raise PayloadError(Reason.TS_OUT_OF_RANGE, "ts is more than 24 h ahead or 30 days behind")
    return ts


def _is_number(item: Any) -> bool:
    return isinstance(item, int | float) and not isinstance(item, bool)


def _value(body: Mapping[str, Any], type_: str, spec: ValueSpec) -> float | None:
    item = body.get("value")
    if spec.kind is ValueKind.NONE:
        if item is not None:
            raise PayloadError(Reason.BAD_VALUE, f"type {type_!r} carries no value")
        return None
    if item is None:
        raise PayloadError(Reason.MISSING_FIELD, "field 'value' is required")
    if not _is_number(item):
        raise PayloadError(Reason.WRONG_TYPE, "field 'value' must be a number")
    try:
        number = float(item)
    except OverflowError:  # an integer beyond float range
        raise PayloadError(Reason.BAD_VALUE, "value is out of range") from None
    if not math.isfinite(number):
        raise PayloadError(Reason.BAD_VALUE, "value must be finite")
    if spec.kind is ValueKind.BINARY and number not in (0.0, 1.0):
        raise PayloadError(Reason.BAD_VALUE, f"{type_} value must be 0 or 1")
    if spec.kind is ValueKind.TRIGGER and number != 1.0:
        raise PayloadError(Reason.BAD_VALUE, f"{type_} value must be 1")
    if not spec.minimum <= number <= spec.maximum:
        raise PayloadError(Reason.BAD_VALUE, f"{type_} value must be within {spec.minimum}..{spec.maximum}")
    return number


def _battery(item: Any) -> int | None:
    if item is None:
        return None
    if not _is_number(item):
        raise PayloadError(Reason.WRONG_TYPE, "field 'battery' must be a number")
    if not 0 <= item <= 100:  # also false for inf
        raise PayloadError(Reason.BAD_VALUE, "battery must be within 0..100")
    return round(float(item))  # a number within 0..100 (checked above)

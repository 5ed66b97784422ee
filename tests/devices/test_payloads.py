"""Protocol v1 parser: every bad-input class has its reason; nothing but PayloadError ever escapes."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.mqtt.payloads import (
    BUILTIN_TYPES,
    MAX_PAYLOAD_BYTES,
    Message,
    PayloadError,
    Reason,
    ValueKind,
    device_code_from_topic,
    parse_message,
)

NOW = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
TOPIC = "sensors/SD-0001/data"


def body(**fields: object) -> dict:
    base = {"id": "m-1", "ts": "2026-11-21T08:00:00+08:00", "type": "smoke", "value": 1, "battery": 87}
    base.update(fields)
    return {key: value for key, value in base.items() if value is not DROP}


DROP = object()


def parse(payload: object, topic: str = TOPIC, **kwargs: object) -> Message:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return parse_message(topic, raw, now=NOW, **kwargs)  # type: ignore[arg-type]


def reason_of(payload: object, topic: str = TOPIC, **kwargs: object) -> Reason:
    with pytest.raises(PayloadError) as info:
        parse(payload, topic, **kwargs)
    return info.value.reason


def test_a_valid_message_is_parsed():
    message = parse(body())
    assert message == Message(
        device_code="SD-0001",
        msg_id="m-1",
        ts=datetime(2026, 11, 21, 0, 0, tzinfo=timezone(timedelta(hours=8))) + timedelta(hours=8),
        type="smoke",
        value=1.0,
        battery=87,
    )
    assert message.ts == NOW


@pytest.mark.parametrize(
    ("type_", "value"),
    [("smoke", 0), ("smoke", 1), ("temperature", 21.5), ("temperature", -12), ("water_pressure", 0.08),
     ("geomagnetic", 1), ("noise", 63.2), ("water_level", 17), ("door", 0), ("sos", 1)],
)  # fmt: skip
def test_every_builtin_type_accepts_its_values(type_, value):
    assert parse(body(type=type_, value=value)).value == float(value)


def test_heartbeat_has_no_value_and_battery_is_optional():
    message = parse(body(type="heartbeat", value=DROP, battery=DROP))
    assert (message.type, message.value, message.battery) == ("heartbeat", None, None)
    assert parse(body(type="heartbeat", value=None)).value is None


def test_a_type_from_the_scene_catalogue_is_a_number():
    assert reason_of(body(type="pm25", value=80)) is Reason.UNKNOWN_TYPE
    assert parse(body(type="pm25", value=80), catalogue_types={"pm25"}).value == 80.0


def test_utc_z_suffix_and_float_battery_are_accepted():
    message = parse(body(ts="2026-11-21T00:00:00Z", battery=87.4))
    assert message.ts == NOW
    assert message.battery == 87


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{", Reason.MALFORMED_JSON),
        (b"\xff\xfe{}", Reason.MALFORMED_JSON),
        (b"[1, 2]", Reason.MALFORMED_JSON),
        (b'"smoke"', Reason.MALFORMED_JSON),
        (b"", Reason.MALFORMED_JSON),
        (b'{"id": "a", "id": "b"}', Reason.MALFORMED_JSON),
        (b'{"id": "a", "ts": "2026-11-21T08:00:00+08:00", "type": "temperature", "value": NaN}',
         Reason.MALFORMED_JSON),
        (b"[" * 3000 + b"]" * 3000, Reason.OVERSIZE),
        (b"[" * 2000 + b"]" * 2000, Reason.MALFORMED_JSON),
        (body(id=DROP), Reason.MISSING_FIELD),
        (body(ts=DROP), Reason.MISSING_FIELD),
        (body(type=DROP), Reason.MISSING_FIELD),
        (body(value=DROP), Reason.MISSING_FIELD),
        (body(value=None), Reason.MISSING_FIELD),
        (body(id=17), Reason.WRONG_TYPE),
        (body(ts=1763683200), Reason.WRONG_TYPE),
        (body(type=["smoke"]), Reason.WRONG_TYPE),
        (body(value="1"), Reason.WRONG_TYPE),
        (body(value=True), Reason.WRONG_TYPE),
        (body(battery="87"), Reason.WRONG_TYPE),
        (body(battery=False), Reason.WRONG_TYPE),
        (body(id=""), Reason.BAD_VALUE),
        (body(id="x" * 65), Reason.BAD_VALUE),
        (body(id="a\u0000b"), Reason.BAD_VALUE),
        (body(id="a\ud800"), Reason.BAD_VALUE),  # a lone surrogate (JSON escape): not UTF-8, not storable
        (body(value=2), Reason.BAD_VALUE),
        (body(type="sos", value=0), Reason.BAD_VALUE),
        (b'{"id": "a", "ts": "2026-11-21T08:00:00+08:00", "type": "temperature", "value": 1e400}',
         Reason.BAD_VALUE),
        (body(type="temperature", value=10**400), Reason.BAD_VALUE),
        (body(type="water_pressure", value=-0.1), Reason.BAD_VALUE),
        (body(type="heartbeat", value=1), Reason.BAD_VALUE),
        (body(battery=101), Reason.BAD_VALUE),
        (body(battery=-1), Reason.BAD_VALUE),
        (body(ts="yesterday"), Reason.BAD_TIMESTAMP),
        (body(ts="2026-11-21T08:00:00"), Reason.BAD_TIMESTAMP),
        (body(ts="2026-11-21"), Reason.BAD_TIMESTAMP),
        (body(ts="2026-11-22T00:00:01Z"), Reason.TS_OUT_OF_RANGE),
        (body(ts="2026-10-21T23:59:59Z"), Reason.TS_OUT_OF_RANGE),
        (body(ts="9999-12-31T23:59:59-23:59"), Reason.TS_OUT_OF_RANGE),
        (body(ts="0001-01-01T00:00:00+23:59"), Reason.TS_OUT_OF_RANGE),
        (body(type="radiation"), Reason.UNKNOWN_TYPE),
        (body(type="smoke\udfff"), Reason.UNKNOWN_TYPE),
        (body(device="SD-0002"), Reason.TOPIC_MISMATCH),
    ],
)  # fmt: skip
def test_each_bad_input_class_has_its_reason(payload, reason):
    assert reason_of(payload) is reason


def test_the_edges_of_the_accepted_time_range():
    assert parse(body(ts="2026-11-22T00:00:00Z")).ts == NOW + timedelta(hours=24)
    assert parse(body(ts="2026-10-22T00:00:00Z")).ts == NOW - timedelta(days=30)


def test_oversize_is_checked_before_anything_else():
    big = json.dumps(body(pad="x" * MAX_PAYLOAD_BYTES)).encode()
    assert reason_of(big, topic="not/a/topic") is Reason.OVERSIZE
    short = len(json.dumps(body(pad="")).encode())
    exactly = json.dumps(body(pad="y" * (MAX_PAYLOAD_BYTES - short))).encode()
    assert len(exactly) == MAX_PAYLOAD_BYTES
    assert parse(exactly).msg_id == "m-1"


@pytest.mark.parametrize(
    "topic",
    ["sensors/SD-0001", "sensors//data", "sensors/a/b/data", "sensor/SD-0001/data", "sensors/+/data",
     "sensors/#/data", "sensors/-lead/data", "sensors/" + "x" * 65 + "/data", "sensors/空格 /data", ""],
)  # fmt: skip
def test_bad_topics(topic):
    assert reason_of(body(), topic=topic) is Reason.BAD_TOPIC


def test_device_code_from_topic():
    assert device_code_from_topic("sensors/HY_01.a-2/data") == "HY_01.a-2"


def test_the_payload_may_name_its_own_device():
    assert parse(body(device="SD-0001")).device_code == "SD-0001"


def test_unknown_fields_are_ignored_for_forward_compatibility():
    assert parse(body(rssi=-71, fw="1.2.3")).msg_id == "m-1"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.text(max_size=70), json_values),
        "ts": st.one_of(
            st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
            st.text(max_size=40),
            json_values,
        ),
        "type": st.one_of(st.sampled_from(sorted(BUILTIN_TYPES)), st.text(max_size=12), json_values),
        "value": json_values,
        "battery": json_values,
        "device": st.one_of(st.just("SD-0001"), json_values),
    },
)


@settings(max_examples=400, deadline=None)
@given(topic=st.one_of(st.just(TOPIC), st.text(max_size=80)), payload=st.binary(max_size=5000))
def test_arbitrary_bytes_only_ever_raise_payload_error(topic, payload):
    try:
        message = parse_message(topic, payload, now=NOW)
    except PayloadError as exc:
        assert isinstance(exc.reason, Reason)
    else:
        assert message.ts.tzinfo is not None


@settings(max_examples=600, deadline=None)
@given(fields=fields, extra=st.dictionaries(st.text(max_size=8), json_values, max_size=3))
def test_arbitrary_json_objects_parse_or_fail_with_a_reason(fields, extra):
    payload = json.dumps({**extra, **fields}).encode()
    try:
        message = parse_message(TOPIC, payload, now=NOW)
    except PayloadError as exc:
        assert isinstance(exc.reason, Reason)
        return
    spec = BUILTIN_TYPES[message.type]
    assert 1 <= len(message.msg_id) <= 64
    assert NOW - timedelta(days=30) <= message.ts <= NOW + timedelta(hours=24)
    assert (message.value is None) == (spec.kind is ValueKind.NONE)
    assert message.battery is None or 0 <= message.battery <= 100


@settings(max_examples=300, deadline=None)
@given(
    msg_id=st.text(st.characters(codec="utf-8", categories=["L", "N", "P"]), min_size=1, max_size=64),
    offset=st.integers(min_value=-30 * 86400 + 60, max_value=86400 - 60),
    reading=st.sampled_from([("smoke", 1), ("door", 0), ("temperature", 36.6), ("noise", 71), ("sos", 1)]),
    battery=st.one_of(st.none(), st.integers(0, 100)),
)
def test_valid_messages_round_trip(msg_id, offset, reading, battery):
    ts = (NOW + timedelta(seconds=offset)).astimezone(timezone(timedelta(hours=8)))
    type_, value = reading
    payload = {"id": msg_id, "ts": ts.isoformat(), "type": type_, "value": value}
    if battery is not None:
        payload["battery"] = battery
    message = parse_message(TOPIC, json.dumps(payload, ensure_ascii=False).encode(), now=NOW)
    assert (message.msg_id, message.ts, message.type, message.value, message.battery) == (
        msg_id, ts, type_, float(value), battery,
    )  # fmt: skip

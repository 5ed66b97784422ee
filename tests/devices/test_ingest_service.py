"""ingest_messages: valid messages stored once, every bad one kept as a dead letter with its reason."""

import json
import random
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.db import among, bulk_update, epoch_array, float_array, int_array, text_array
from devices.ingest import ingest_messages
from devices.models import DeadLetter, Inbox, Reading, SensorPoint
from devices.processing import process_inbox
from tests.devices.conftest import payload, received
from tests.devices.factories import SensorPointFactory

pytestmark = pytest.mark.django_db


def test_one_message_id_delivered_three_times_is_stored_once():
    point = SensorPointFactory()
    copy = received(point.code, id="same-id", value=0)
    first = ingest_messages(messages=[copy], enqueue=False)
    second = ingest_messages(messages=[copy, copy], enqueue=False)
    assert (len(first.stored), first.duplicates) == (1, 0)
    assert (len(second.stored), second.duplicates) == (0, 2)
    assert Inbox.objects.filter(device_code=point.code, msg_id="same-id").count() == 1
    assert DeadLetter.objects.count() == 0


@pytest.mark.district(
    "the INSERT-then-ON-CONFLICT retry is PostgreSQL's bulk path; SQLite inserts with INSERT OR IGNORE once"
)
def test_a_batch_with_a_message_stored_before_goes_again_without_it(django_capture_on_commit_callbacks):
    """A batch is inserted without ON CONFLICT first (cheaper for PostgreSQL). A message stored before
    refuses that INSERT; the batch goes again, skipping it: nothing lost, nothing twice, the dead letter
    and the task to process the batch kept once."""
    point = SensorPointFactory()
    old = received(point.code, id="old", value=0)
    first = [old, received(point.code, id="new-1", value=0)]
    again = [received(point.code, id="new-2", value=0), old, received("NO-SUCH-POINT", id="x")]

    def inbox_inserts(batch: list) -> tuple[list[bool], object, list]:
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as tasks:
            result = ingest_messages(messages=batch, enqueue=True)
        sqls = [q["sql"] for q in queries if q["sql"].startswith("INSERT INTO devices_inbox")]
        return ["ON CONFLICT" in sql for sql in sqls], result, tasks

    conflicts, result, tasks = inbox_inserts(first)
    assert (conflicts, len(result.stored), result.duplicates, len(tasks)) == ([False], 2, 0, 1)
    conflicts, result, tasks = inbox_inserts(again)
    assert (conflicts, len(result.stored), result.duplicates, result.dead_letters) == ([False, True], 1, 1, 1)
    assert len(tasks) == 1
    assert sorted(Inbox.objects.values_list("msg_id", flat=True)) == ["new-1", "new-2", "old"]
    assert list(DeadLetter.objects.values_list("device_code", "reason")) == [
        ("NO-SUCH-POINT", "unknown_device")
    ]


def test_the_same_id_from_two_devices_is_two_messages():
    a, b = SensorPointFactory(), SensorPointFactory()
    result = ingest_messages(messages=[received(a.code, id="x"), received(b.code, id="x")], enqueue=False)
    assert len(result.stored) == 2


def test_a_stored_message_carries_its_parsed_fields():
    point = SensorPointFactory()
    at = timezone.now().replace(microsecond=0)
    ingest_messages(messages=[received(point.code, at=at, id="a1", value=1, battery=55)], enqueue=False)
    row = Inbox.objects.get(msg_id="a1")
    assert (row.point_id, row.type, row.value, row.battery, row.ts, row.processed_at) == (
        point.id, "smoke", 1.0, 55, at, None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "reason"),
    [(SensorPoint.Status.MAINTENANCE, "inactive_device"), (SensorPoint.Status.RETIRED, "inactive_device")],
)
def test_inactive_devices_are_dead_letters(status, reason):
    point = SensorPointFactory(status=status)
    result = ingest_messages(messages=[received(point.code)], enqueue=False)
    assert (result.stored, result.dead_letters) == ([], 1)
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.device_code) == (reason, point.code)


def test_lone_surrogates_become_dead_letters_and_the_rest_of_the_batch_is_stored():
    """JSON may escape a lone surrogate (not UTF-8: PostgreSQL cannot store it). Such an id or type is a
    dead letter with the exact bytes; the batch's good message is stored."""
    point = SensorPointFactory()
    bad_id = received(point.code, id="a\ud800")  # json.dumps escapes it as \ud800
    bad_type = received(point.code, id="b", type="smoke\udfff")
    result = ingest_messages(messages=[bad_id, bad_type, received(point.code, id="c")], enqueue=False)
    assert (len(result.stored), result.dead_letters) == (1, 2)
    assert Inbox.objects.get().msg_id == "c"
    letters = {letter.reason: letter for letter in DeadLetter.objects.all()}
    assert set(letters) == {"bad_value", "unknown_type"}
    assert bytes(letters["bad_value"].payload) == bad_id.payload
    assert b"\\ud800" in bad_id.payload


def test_unknown_device_is_a_dead_letter_with_the_exact_bytes():
    raw = payload(id="u-1")
    ingest_messages(messages=[received("NOBODY-1", raw=raw)], enqueue=False)
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.device_code, letter.topic) == (
        "unknown_device",
        "NOBODY-1",
        "sensors/NOBODY-1/data",
    )
    assert bytes(letter.payload) == raw


def test_a_batch_with_good_and_bad_messages_keeps_all_of_them():
    point = SensorPointFactory()
    messages = [
        received(point.code, id="ok-1"),
        received(point.code, raw=b"{not json"),
        received(point.code, raw=b"x" * 5000),
        received("bad/topic", id="t"),
        received(point.code, id="ok-2", type="door"),
        received(point.code, id="ok-1"),  # a duplicate within the batch
    ]
    result = ingest_messages(messages=messages, enqueue=False)
    assert (len(result.stored), result.dead_letters, result.duplicates) == (2, 3, 1)
    assert sorted(DeadLetter.objects.values_list("reason", flat=True)) == [
        "bad_topic",
        "malformed_json",
        "oversize",
    ]
    assert set(Inbox.objects.values_list("msg_id", flat=True)) == {"ok-1", "ok-2"}


def test_new_types_come_from_the_scene_catalogue():
    point = SensorPointFactory()
    assert (
        ingest_messages(messages=[received(point.code, type="pm25", value=80)], enqueue=False).dead_letters
        == 1
    )
    point.scene.__class__.objects.create(code="air", name="空气质量", sensor_type="pm25", threshold=75)
    # Saving the scene cleared this process's catalogue of sensor types (devices/apps.py).
    assert (
        len(ingest_messages(messages=[received(point.code, type="pm25", value=80)], enqueue=False).stored)
        == 1
    )


def test_processing_twice_is_harmless():
    point = SensorPointFactory()
    ids = ingest_messages(messages=[received(point.code, value=0)], enqueue=False).stored
    assert process_inbox(ids=ids) == 1
    assert process_inbox(ids=ids) == 0
    row = Inbox.objects.get()
    assert row.processed_at is not None
    assert row.attempts == 0  # a first delivery writes no attempt (hot path)


def test_the_task_stamps_how_many_it_processed_for_the_benchmark(tmp_path, monkeypatch):
    """bench/ingest.py paces its publishers by these stamps (its capacity phase's flow control)."""
    from command_center import stamps
    from devices.tasks import process_inbox as process_inbox_task

    monkeypatch.setattr(stamps, "PREFIX", str(tmp_path / "stamps"))
    point = SensorPointFactory()
    ids = ingest_messages(messages=[received(point.code, value=0) for _ in range(3)], enqueue=False).stored
    process_inbox_task.apply(args=[ids])
    process_inbox_task.apply(args=[ids])  # nothing left to do: it says 0
    [path] = tmp_path.iterdir()
    done = [line.split()[2] for line in path.read_text().splitlines() if line.startswith("task_done ")]
    assert done == ["3", "0"]


def test_a_redelivered_task_counts_the_attempt_first():
    point = SensorPointFactory()
    ids = ingest_messages(messages=[received(point.code, value=0)], enqueue=False).stored
    assert process_inbox(ids=ids, redelivered=True) == 1
    assert Inbox.objects.get().attempts == 1


def test_enqueue_happens_after_commit(django_capture_on_commit_callbacks, monkeypatch):
    point = SensorPointFactory()
    queued: list[list[int]] = []
    monkeypatch.setattr("devices.ingest.enqueue_inbox", lambda ids: queued.append(list(ids)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = ingest_messages(messages=[received(point.code), received(point.code)])
    assert queued == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert queued == [result.stored]


@pytest.mark.district("reads PostgreSQL's query plan (EXPLAIN FORMAT JSON)")
def test_a_task_claims_its_rows_by_primary_key_whatever_the_backlog():
    """With the partial index of unprocessed rows (until 2026-12-06), PostgreSQL planned the task's query
    on it whenever its statistics were older than a burst (they said "almost none"), and read the whole
    backlog for every task: throughput fell as the backlog grew."""
    point = SensorPointFactory()
    done = ingest_messages(messages=[received(point.code, value=0) for _ in range(300)], enqueue=False)
    process_inbox(ids=done.stored)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE devices_inbox")  # statistics: nothing waits
    backlog = ingest_messages(messages=[received(point.code, value=0) for _ in range(300)], enqueue=False)
    with CaptureQueriesContext(connection) as queries:
        assert process_inbox(ids=backlog.stored[:5]) == 5
    claiming = next(q["sql"] for q in queries.captured_queries if "UPDATE devices_inbox" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {claiming}")
        plan = json.dumps(cursor.fetchone()[0])
    assert "devices_inbox_pkey" in plan
    assert Inbox.objects.filter(processed_at__isnull=True).count() == 295


def test_readings_keep_their_values_and_types():
    point = SensorPointFactory()
    at = timezone.now().replace(microsecond=0)
    ids = ingest_messages(
        messages=[
            received(point.code, at=at, id="r1", value=0),
            received(point.code, at=at + timedelta(seconds=1), id="r2", type="temperature", value=-3.25),
        ],
        enqueue=False,
    ).stored
    process_inbox(ids=ids)
    assert list(
        Reading.objects.order_by("ts").values_list("point_id", "ts", "type", "value", "abnormal")
    ) == [
        (point.id, at, "smoke", 0.0, False),
        (point.id, at + timedelta(seconds=1), "temperature", -3.25, False),
    ]


@pytest.mark.district("array literals of Unix seconds are PostgreSQL's bulk path")
def test_timestamps_go_to_postgresql_as_unix_seconds_and_come_back_to_the_microsecond():
    """The hot path's SQL sends datetimes as float8 Unix seconds (epoch_array) through to_timestamp():
    exact to the microsecond from 1990 to 2070, NULL stays NULL, in the inbox's insert and in
    bulk_update."""
    rng = random.Random(20261205)
    start = datetime(1990, 1, 1, tzinfo=UTC)
    span_us = 80 * 365 * 86_400 * 10**6
    stamps = [start + timedelta(microseconds=rng.randrange(span_us)) for _ in range(20_000)]
    stamps += [
        datetime(2026, 12, 5, 12, 0, 0, 999_999, tzinfo=UTC),
        datetime(2026, 12, 5, 12, 0, 0, 1, tzinfo=UTC),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_timestamp(unnest(%s::float8[]))", [epoch_array([*stamps, None])])
        assert [row[0] for row in cursor.fetchall()] == [*stamps, None]

    point = SensorPointFactory()
    at = timezone.now().replace(microsecond=999_999) - timedelta(hours=1)
    got = timezone.now().replace(microsecond=1)
    ingest_messages(messages=[received(point.code, at=got, ts=at.isoformat(), id="us")], enqueue=False)
    assert Inbox.objects.filter(msg_id="us").values_list("ts", "received_at").get() == (at, got)

    point.last_seen_at, point.abnormal_since, point.last_reading_at = stamps[0], None, stamps[1]
    bulk_update([point], ["last_seen_at", "abnormal_since", "last_reading_at"])
    point.refresh_from_db()
    assert (point.last_seen_at, point.abnormal_since, point.last_reading_at) == (stamps[0], None, stamps[1])


def test_a_naive_datetime_is_refused_not_shifted():
    with pytest.raises(ValueError, match="naive"):
        epoch_array([datetime(2026, 12, 5, 12, 0)])  # noqa: DTZ001 (naive on purpose)


@pytest.mark.district("PostgreSQL array literals")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ints=st.lists(st.none() | st.integers(-(2**63), 2**63 - 1), max_size=40),
    floats=st.lists(st.none() | st.floats(width=64), max_size=40),
    # Any text PostgreSQL can hold: no NUL, no lone surrogate (not UTF-8; the payload parser turns such
    # ids and types into dead letters before they reach an array).
    texts=st.lists(
        st.none() | st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"])), max_size=40
    ),
)
def test_array_literals_read_back_as_psycopg2s_own_lists(ints, floats, texts):
    """The hot path passes its lists as array literals (int_array, float_array, text_array); PostgreSQL
    reads them back exactly as the lists psycopg2 adapts itself: every integer of bigint, every double
    (NaN, infinities, -0.0, the smallest), any text (quotes, backslashes, braces, commas, blanks, "NULL",
    Chinese), and NULLs."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT %s::bigint[], %s::float8[], %s::text[], %s::bigint[], %s::float8[], %s::text[]",
            [int_array(ints), float_array(floats), text_array(texts), ints, floats, texts],
        )
        ours_i, ours_f, ours_t, theirs_i, theirs_f, theirs_t = cursor.fetchone()
    assert ours_i == theirs_i == ints
    assert ours_t == theirs_t == texts
    assert [repr(x) for x in ours_f] == [repr(x) for x in floats]  # exact, the sign of zero included
    # psycopg2 sends -0.0 as a numeric constant, which has no negative zero: its own lists lose the sign.
    assert [repr(x) for x in theirs_f] == [repr(0.0 if x == 0 else x) for x in floats]


def test_among_matches_ids_and_codes():
    a, b, _c = SensorPointFactory(), SensorPointFactory(), SensorPointFactory()
    assert set(SensorPoint.objects.filter(among(SensorPoint, [a.id, b.id]))) == {a, b}
    assert set(SensorPoint.objects.filter(among(SensorPoint, {a.code}, "code"))) == {a}
    assert not SensorPoint.objects.filter(among(SensorPoint, []))


@pytest.mark.district("reads PostgreSQL's random_page_cost (SHOW)")
def test_the_planner_knows_the_hot_rows_are_in_memory():
    """With PostgreSQL's default of 4 it scanned every sensor point to lock 200 of them by id."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == 1.1


def test_received_messages_count_in_the_screen_rate(monkeypatch):
    import time

    from django.core.cache import cache

    from devices.ingest import RATE_KEY
    from devices.selectors import messages_per_second

    second = 1_900_000_000  # a second of its own (the counters live in Redis for 120 s)
    cache.delete(RATE_KEY.format(second=second))
    monkeypatch.setattr(time, "time", lambda: second + 0.5)
    point = SensorPointFactory()
    ingest_messages(messages=[received(point.code, id=f"r{n}") for n in range(7)], enqueue=False)
    ingest_messages(messages=[received(point.code, id="r0"), received("GHOST", id="g")], enqueue=False)
    monkeypatch.setattr(time, "time", lambda: second + 1.5)
    assert messages_per_second(window=1) == 9  # duplicates and dead letters were received too


def _claim_elsewhere(ids: list[int]):
    """Another task's open transaction that has claimed `ids` (the same UPDATE as process_inbox)."""
    db = connection.settings_dict
    other = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432)
    with other.cursor() as cursor:
        cursor.execute(
            "UPDATE devices_inbox SET processed_at = now() WHERE id = ANY(%s) AND processed_at IS NULL", [ids]
        )
        assert cursor.rowcount == len(ids)
    return other


def _process_in_a_thread(ids: list[int]) -> tuple[threading.Thread, list[int]]:
    processed: list[int] = []

    def run() -> None:
        try:
            processed.append(process_inbox(ids=ids))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, processed


def _waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        for _ in range(100):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.district(
    "row locks (FOR UPDATE SKIP LOCKED) between two connections; SQLite locks the whole database"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("other_task", ["commits", "rolls back"])
def test_a_task_waits_for_rows_another_holds_and_skips_them_once_committed(other_task):
    """A redelivered task and the original share rows: each row is processed by exactly one of them, and
    rows whose first task failed are processed by the second."""
    point = SensorPointFactory()
    ids = ingest_messages(messages=[received(point.code, value=0) for _ in range(3)], enqueue=False).stored
    other = _claim_elsewhere(ids[:2])
    try:
        thread, processed = _process_in_a_thread(ids)
        assert _waits_for_a_lock()
        other.commit() if other_task == "commits" else other.rollback()
        thread.join(timeout=10)
        assert not thread.is_alive()
    finally:
        other.close()
    expected = 1 if other_task == "commits" else 3
    assert processed == [expected]
    assert Reading.objects.count() == expected
    assert Inbox.objects.filter(processed_at__isnull=True).count() == 0

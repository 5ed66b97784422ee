"""Sweepers and counters: rows left behind are re-queued, rows failing repeatedly become dead letters,
retention purges old readings and inbox rows, and the screen counters add up."""

from datetime import timedelta

import psycopg2
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from devices.alarms.sweeps import purge_old_rows, sweep_inbox
from devices.ingest import RATE_KEY, ingest_messages
from devices.models import Alarm, DeadLetter, Inbox, InboxSweepMark, Reading
from devices.processing import MAX_ATTEMPTS, process_inbox
from devices.selectors import screen_counters
from tests.devices.conftest import received
from tests.devices.factories import SensorPointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    calls: list[list[int]] = []
    monkeypatch.setattr("devices.alarms.sweeps.enqueue_inbox", lambda ids: calls.append(list(ids)))
    return calls


def test_sweep_requeues_rows_left_behind(queued):
    point = SensorPointFactory()
    ids = ingest_messages(messages=[received(point.code) for _ in range(3)], enqueue=False).stored
    assert sweep_inbox()["requeued"] == 0  # too fresh: their task may still be on its way
    result = sweep_inbox(now=timezone.now() + timedelta(minutes=1))
    assert result["requeued"] == 3
    assert queued == [ids]
    assert set(Inbox.objects.values_list("attempts", flat=True)) == {1}  # a re-queue is an attempt
    process_inbox(ids=ids)
    assert sweep_inbox(now=timezone.now() + timedelta(minutes=1))["requeued"] == 0


def test_rows_failing_repeatedly_become_dead_letters(queued):
    point = SensorPointFactory()
    (row_id,) = ingest_messages(messages=[received(point.code, id="poison")], enqueue=False).stored
    Inbox.objects.filter(pk=row_id).update(attempts=MAX_ATTEMPTS)
    sweep_inbox()  # reads the horizon the next sweep checks up to
    result = sweep_inbox(now=timezone.now() + timedelta(minutes=1))
    assert (result["dead_lettered"], result["requeued"]) == (1, 0)
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.device_code) == ("processing_failed", point.code)
    assert b'"poison"' in bytes(letter.payload)
    assert Inbox.objects.get(pk=row_id).processed_at is not None  # kept, never processed twice


@pytest.mark.district("reads PostgreSQL's HOT-update statistics (pg_stat_user_tables)")
def test_the_processed_mark_is_an_update_in_place():
    """No index mentions processed_at and the inbox's pages keep room: marking a row processed is a HOT
    update (no new index entries). An index on the column, or a condition on it, breaks this test."""
    point = SensorPointFactory()
    ids = ingest_messages(messages=[received(point.code, value=0) for _ in range(20)], enqueue=False).stored

    def updates() -> tuple[int, int, list[str]]:  # this transaction's so far
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_stat_get_xact_tuples_updated(c.oid), pg_stat_get_xact_tuples_hot_updated(c.oid),"
                " c.reloptions FROM pg_class c WHERE c.relname = 'devices_inbox'"
            )
            return cursor.fetchone()

    updated, hot, _ = updates()
    process_inbox(ids=ids)
    updated_after, hot_after, options = updates()
    assert (updated_after - updated, hot_after - hot) == (20, 20)
    assert "fillfactor=50" in options


@pytest.mark.district("two concurrent writing transactions; SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_the_sweeper_does_not_pass_a_row_whose_transaction_is_still_open(queued):
    """A row gets its id when it is inserted, not when it is committed: the sweeper's mark may only pass
    ids that no open transaction can still commit, or a row committed late would never be re-queued."""
    point = SensorPointFactory()
    db = connection.settings_dict
    other = psycopg2.connect(dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432)
    try:
        with other.cursor() as cursor:  # another listener's batch, its commit delayed
            cursor.execute(
                "INSERT INTO devices_inbox (device_code, msg_id, point_id, ts, type, value, received_at, attempts)"
                " VALUES (%s, 'late', %s, now(), 'smoke', 0, now() - interval '5 minutes', 0) RETURNING id",
                [point.code, point.id],
            )
            (late_id,) = cursor.fetchone()
        ids = ingest_messages(
            messages=[received(point.code, value=0) for _ in range(2)], enqueue=False
        ).stored
        process_inbox(ids=ids)
        assert late_id < min(ids)
        later = timezone.now() + timedelta(minutes=1)
        assert sweep_inbox(now=later)["requeued"] == 0  # the first sweep reads the horizon
        assert sweep_inbox(now=later)["requeued"] == 0  # "late" is not visible yet
        assert InboxSweepMark.objects.get().checked_through < late_id
        other.commit()
        assert sweep_inbox(now=later)["requeued"] == 1
        assert queued == [[late_id]]
        process_inbox(ids=[late_id])
        sweep_inbox(now=later)
        assert InboxSweepMark.objects.get().checked_through >= max(ids)
    finally:
        other.close()


def test_the_sweeper_reads_from_its_mark_on():
    """Rows below the mark are not read again: every row up to it was processed when it was set."""
    point = SensorPointFactory()
    first = ingest_messages(messages=[received(point.code, value=0) for _ in range(3)], enqueue=False).stored
    process_inbox(ids=first)
    second = ingest_messages(messages=[received(point.code, value=0) for _ in range(2)], enqueue=False).stored
    later = timezone.now() + timedelta(minutes=1)
    sweep_inbox(now=later)
    assert sweep_inbox(now=later)["requeued"] == 2
    assert InboxSweepMark.objects.get().checked_through == min(second) - 1
    Inbox.objects.filter(pk=first[0]).update(processed_at=None)  # never happens: below the mark
    process_inbox(ids=second)
    assert sweep_inbox(now=later)["requeued"] == 0
    assert InboxSweepMark.objects.get().checked_through >= max(second)


def test_sweep_requeues_alarms_waiting_for_their_case(monkeypatch, queued):
    calls: list[list[int]] = []
    monkeypatch.setattr("devices.alarms.sweeps.enqueue_alarm_cases", lambda ids: calls.append(list(ids)))
    point = SensorPointFactory()
    now = timezone.now()
    alarm = Alarm.objects.create(point=point, scene=point.scene, type="smoke", severity="critical", first_seen=now,
                                 last_seen=now, raised_at=now - timedelta(minutes=5), case_pending=True)  # fmt: skip
    assert sweep_inbox()["cases_requeued"] == 1
    assert calls == [[alarm.pk]]


@override_settings(READINGS_RETENTION_DAYS=30, INBOX_RETENTION_DAYS=7)
def test_retention_purges_old_readings_and_processed_inbox_rows():
    point = SensorPointFactory()
    now = timezone.now()
    Reading.objects.bulk_create(
        [
            Reading(point_id=point.id, ts=now - timedelta(days=days), type="smoke", value=0)
            for days in (1, 29, 31, 90)
        ]
    )
    beats = [received(point.code, type="heartbeat", value=None) for _ in range(2)]
    ids = ingest_messages(messages=beats, enqueue=False).stored
    process_inbox(ids=ids)
    Inbox.objects.filter(pk=ids[0]).update(processed_at=now - timedelta(days=8))
    ingest_messages(messages=[received(point.code, id="unprocessed")], enqueue=False)
    Inbox.objects.filter(msg_id="unprocessed").update(received_at=now - timedelta(days=60))
    assert purge_old_rows(now=now, batch=1) == {"readings": 2, "inbox": 1}
    assert Reading.objects.count() == 2
    assert set(Inbox.objects.values_list("id", flat=True)) == {ids[1], *Inbox.objects.filter(msg_id="unprocessed")
                                                               .values_list("id", flat=True)}  # fmt: skip


def test_screen_counters():
    online, offline, quiet = SensorPointFactory(), SensorPointFactory(), SensorPointFactory()
    now = timezone.now()
    ingest_messages(messages=[received(p.code, type="heartbeat", value=None) for p in (online, offline)],
                    enqueue=False)  # fmt: skip
    process_inbox(ids=list(Inbox.objects.values_list("id", flat=True)))
    offline.refresh_from_db()
    type(offline).objects.filter(pk=offline.pk).update(offline_after=now - timedelta(seconds=1))
    ingest_messages(messages=[received("GHOST"), received(online.code, raw=b"{")], enqueue=False)
    Alarm.objects.create(point=quiet, scene=quiet.scene, type="smoke", severity="critical", first_seen=now,
                         last_seen=now, raised_at=now)  # fmt: skip
    second = int(timezone.now().timestamp()) - 1
    cache.set(RATE_KEY.format(second=second), 25, 60)
    counters = screen_counters()
    assert counters == {
        "messages_per_second": counters["messages_per_second"],
        "dead_letters_today": 2,
        "dead_letters_by_reason": {"unknown_device": 1, "malformed_json": 1},
        "points_online": 1,
        "points_offline": 1,
        "active_alarms": 1,
    }
    assert counters["messages_per_second"] >= 2.5  # 25 in one of the last 10 seconds (plus what we ingested)
    assert screen_counters(grid_id=quiet.grid_id)["active_alarms"] == 1
    assert screen_counters(grid_id=online.grid_id)["points_online"] == 1


def test_a_row_redelivered_too_often_is_dead_lettered_by_the_task_itself():
    """Celery redelivers the task of a worker that died; a row that keeps killing workers stops here."""
    point = SensorPointFactory()
    ids = ingest_messages(messages=[received(point.code, id="killer"), received(point.code, id="fine")],
                          enqueue=False).stored  # fmt: skip
    Inbox.objects.filter(msg_id="killer").update(attempts=MAX_ATTEMPTS)
    assert process_inbox(ids=ids) == 1
    assert list(DeadLetter.objects.values_list("reason", flat=True)) == ["processing_failed"]
    assert not Inbox.objects.filter(processed_at__isnull=True).exists()
    assert Reading.objects.count() == 1

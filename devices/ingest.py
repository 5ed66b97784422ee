"""Ingest: a listener batch → the inbox (valid messages, once) and dead letters (bad ones).

`ingest_messages` parses a batch, stores valid messages once in the inbox (PostgreSQL: one INSERT, again
with ON CONFLICT DO NOTHING if a message was stored before) and bad ones as dead letters, in ONE
transaction; the listener sends PUBACKs only after it returns. After commit it enqueues `process_inbox`
with the new ids.
"""

import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache, caches
from django.db import IntegrityError, transaction
from django.utils import timezone
from psycopg2.errors import UniqueViolation

from command_center import stamps
from command_center.cache import ReusedClientRedisCache
from command_center.caching import ProcessCache

from .db import InboxRow, Row, insert_inbox, points_by_code
from .models import DeadLetter, Inbox, Scene, SensorPoint
from .mqtt.payloads import DEVICE_CODE_RE, Message, PayloadError, Reason, parse_message
from .queueing import PROCESS_INBOX, delay_in_chunks

logger = logging.getLogger(__name__)

RATE_KEY = "devices:ingest:rate:{second}"


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    received_at: datetime


@dataclass
class IngestResult:
    stored: list[int] = field(default_factory=list)  # new inbox ids
    duplicates: int = 0
    dead_letters: int = 0


def _load_catalogue_types() -> frozenset[str]:
    return frozenset(Scene.objects.filter(retired_at__isnull=True).values_list("sensor_type", flat=True))


# Sensor types of the scene catalogue (new types come from data); cleared on Scene saves (apps.py).
catalogue_types_cache = ProcessCache("devices.catalogue_types", _load_catalogue_types, ttl=30)


def catalogue_types() -> frozenset[str]:
    return catalogue_types_cache.get()


def _dead(item: Received, reason: Reason, detail: str, device_code: str = "") -> DeadLetter:
    return DeadLetter.of(
        reason=reason.value,
        detail=detail[:300],
        topic=item.topic.replace("\x00", "\\0"),
        device_code=device_code[:64],
        payload=bytes(item.payload),
        received_at=item.received_at,
    )


def ingest_messages(*, messages: Sequence[Received], enqueue: bool = True) -> IngestResult:
    """Store one listener batch: valid messages once in the inbox, bad ones as dead letters.

    Everything is committed when this returns, so the caller may PUBACK every message of the batch.
    """
    now = timezone.now()
    types = catalogue_types()
    parsed: list[tuple[Received, Message]] = []
    dead: list[DeadLetter] = []
    for item in messages:
        try:
            parsed.append((item, parse_message(item.topic, item.payload, now=now, catalogue_types=types)))
        except PayloadError as exc:
            dead.append(_dead(item, exc.reason, exc.detail, _topic_code(item.topic)))

    points = points_by_code({m.device_code for _, m in parsed}) if parsed else {}
    rows: dict[tuple[str, str], Row] = {}
    for item, message in parsed:
        point_id, status = points.get(message.device_code, (None, ""))
        if point_id is None:
            dead.append(
                _dead(item, Reason.UNKNOWN_DEVICE, "no sensor point has this code", message.device_code)
            )
        elif status != SensorPoint.Status.ACTIVE:
            dead.append(_dead(item, Reason.INACTIVE_DEVICE, f"the point is {status}", message.device_code))
        else:
            key = (message.device_code, message.msg_id)
            rows.setdefault(
                key,
                (*key, point_id, message.ts, message.type, message.value, message.battery, item.received_at),
            )

    result = IngestResult(dead_letters=len(dead))
    new_rows = list(rows.values())
    try:
        result.stored = _store_batch(new_rows, dead, enqueue=enqueue, skip_stored=False)
    except IntegrityError as exc:
        if not isinstance(exc.__cause__, UniqueViolation):
            raise
        # A message of the batch is in the inbox already (a redelivery, a device's resend): the plain
        # INSERT refused the whole batch, so again, skipping the stored ones.
        result.stored = _store_batch(new_rows, dead, enqueue=enqueue, skip_stored=True)
    result.duplicates = len(messages) - len(dead) - len(result.stored)
    _count_received(len(messages))
    return result


def _store_batch(rows: list[Row], dead: list[DeadLetter], *, enqueue: bool, skip_stored: bool) -> list[int]:
    with transaction.atomic():
        stored = insert_inbox(rows, skip_stored=skip_stored)
        if dead:
            DeadLetter.objects.bulk_create(dead)
        if enqueue and stored:
            transaction.on_commit(lambda: enqueue_inbox(stored))
    return stored


def enqueue_inbox(ids: Sequence[int]) -> None:
    if ids and stamps.enabled():
        stamps.stamp("inbox_committed", min(ids), max(ids))  # runs on commit; benchmarks only
    delay_in_chunks(PROCESS_INBOX, ids)


def dead_letter_raw(item: Received, *, detail: str) -> None:
    """Keep a message that could not be stored normally (the listener's last resort)."""
    _dead(item, Reason.PROCESSING_FAILED, detail, _topic_code(item.topic)).save()


def dead_letter_rows(rows: Iterable[InboxRow | Inbox], reason: Reason, detail: str) -> None:
    """Inbox rows that cannot be processed, kept as dead letters (their message rebuilt from the row)."""
    DeadLetter.objects.bulk_create(
        DeadLetter.of(
            reason=reason.value,
            detail=detail,
            topic=f"sensors/{row.device_code}/data",
            device_code=row.device_code,
            payload=json.dumps(
                {
                    "id": row.msg_id,
                    "ts": row.ts.isoformat(),
                    "type": row.type,
                    "value": row.value,
                    "battery": row.battery,
                }
            ).encode(),
            received_at=row.received_at,
        )
        for row in rows
    )


def _topic_code(topic: str) -> str:
    """The device a dead letter's topic names: sensors/<code>/data, or another topic of a device's own
    (sensors/<code>/status), so its dead letters are found by its code; else ""."""
    levels = topic.split("/")
    if len(levels) >= 3 and levels[0] == "sensors" and DEVICE_CODE_RE.match(levels[1]):
        return levels[1]
    return ""


def _count_received(n: int) -> None:
    """Per-second counters in the cache (Redis in the district profile) for the screen's rate."""
    if n <= 0:
        return
    key = RATE_KEY.format(second=int(time.time()))
    try:
        backend = caches["default"]
        if isinstance(backend, ReusedClientRedisCache):
            # One round trip, where the cache API's add + incr take three. The key and the plain integer
            # value are the cache's own, so cache.get_many() reads them.
            full_key = backend.make_and_validate_key(key)
            pipeline = backend.client().pipeline(transaction=False)
            pipeline.incrby(full_key, n)
            pipeline.expire(full_key, 120)
            pipeline.execute()
        else:
            cache.add(key, 0, timeout=120)
            cache.incr(key, n)
    except Exception:  # a counter must never fail ingest
        logger.debug("rate counter update failed", exc_info=True)

"""Fixtures of the devices tests: messages in protocol v1, and a clock for readings."""

import itertools
import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from devices.ingest import Received

_ids = itertools.count(1)


def payload(**fields: object) -> bytes:
    body = {"id": f"m-{next(_ids)}", "ts": timezone.now().isoformat(), "type": "smoke", "value": 1}
    body.update(fields)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def received(
    code: str, *, at: datetime | None = None, raw: bytes | None = None, **fields: object
) -> Received:
    at = at or timezone.now()
    fields.setdefault("ts", at.isoformat())
    return Received(f"sensors/{code}/data", raw if raw is not None else payload(**fields), at)


@pytest.fixture
def t0() -> datetime:
    """A recent whole minute, so readings fall inside the accepted time range."""
    return timezone.now().replace(second=0, microsecond=0) - timedelta(hours=1)

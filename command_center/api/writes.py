"""API writes: a committed write never answers 5xx.

A write runs in one transaction and its answer is built inside it, from the rows as they are committed.
What runs after the commit (realtime sends, tasks enqueued by `transaction.on_commit`) can still fail;
Django then raises out of the transaction block, and the client would see a 500 for a change that was
saved, and send it again. Here such a failure is logged and the answer goes out.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

logger = logging.getLogger(__name__)


@contextmanager
def write_transaction() -> Iterator[None]:
    """transaction.atomic() for an API write, whose after-commit failures are logged, not raised."""
    committed = False

    def mark_committed() -> None:
        nonlocal committed
        committed = True

    try:
        with transaction.atomic():
            # The first hook of the block: when the others run, the commit is done.
            transaction.on_commit(mark_committed)
            yield
    except Exception:
        if not committed:
            raise
        logger.exception("a step after the commit of an API write failed; the write stands")

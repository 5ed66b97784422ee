"""Retry-safe writes: the Idempotency-Key header (as Stripe's API and the IETF httpapi draft have it).

A client that sends a write again with the same key (a phone on a weak network that did not get the
answer) gets the first answer back and changes nothing; the same key with another request (another
path or body) is refused with 422. Keys are per user and kept a day. Only answers of writes that
committed are kept: a refused request (400, 403, 409) may be corrected and sent again with its key.

Concurrent duplicates: the key's row is inserted first, in the write's transaction, so the unique
(user, key) constraint makes the second wait until the first commits, then it answers the first's answer.
The one rule for repeated requests: the workflow itself has no keys of its own.
"""

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from command_center.api.writes import write_transaction

from .models import IdempotentRequest

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool = False


class BadKey(ValueError):
    """The key itself is unusable (400)."""


class KeyReused(ValueError):
    """The key was used within a day for another request (422)."""


def check_key(value: str | None) -> str | None:
    """The header's key, or None when there is none; BadKey when it is empty, too long or not printable."""
    if value is None:
        return None
    key = value.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise BadKey(
            _("The Idempotency-Key header must be 1 to %(max)s printable ASCII characters.")
            % {"max": MAX_KEY_LENGTH}
        )
    return key


def fingerprint(
    *, method: str, path: str, data: Any, files: Mapping[str, list["UploadedFile[bytes]"]]
) -> str:
    """SHA-256 of the request: method, path, the parsed body (so a form's boundary does not count) and
    the bytes of its files."""
    digest = hashlib.sha256()
    digest.update(f"{method.upper()} {path}\n".encode())
    digest.update(json.dumps(_plain(data), sort_keys=True, default=str, ensure_ascii=False).encode())
    for name in sorted(files):
        for upload in files[name]:
            digest.update(f"\n{name}={upload.name}:".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def _plain(data: Any) -> Any:
    """A form's QueryDict as a dict of lists (files left out: fingerprint() hashes their bytes)."""
    if hasattr(data, "lists"):
        return {name: [v for v in values if not isinstance(v, UploadedFile)] for name, values in data.lists()}
    return data


def answer_once(
    *, user: User, key: str | None, method: str, path: str, fingerprint: str, write: Callable[[], Answer]
) -> Answer:
    """Run `write` (which builds its answer from what it wrote) in a transaction and return its answer;
    with a key, remember the answer, or return the one remembered for the key. Raises KeyReused when the
    key came with another request; whatever `write` raises leaves nothing behind."""
    if key is None:
        with write_transaction():
            return write()
    with write_transaction():
        IdempotentRequest.objects.filter(
            user=user, key=key, created_at__lt=timezone.now() - KEPT_FOR
        ).delete()
        try:
            with transaction.atomic():
                claim = IdempotentRequest.objects.create(
                    user=user, key=key, method=method[:10], path=path[:300], fingerprint=fingerprint
                )
        except IntegrityError:
            first = IdempotentRequest.objects.get(user=user, key=key)
            if first.fingerprint != fingerprint or first.status is None:
                raise KeyReused(
                    _(
                        "This Idempotency-Key was already used for another request in the last 24 hours; "
                        "send a new key with a new request."
                    )
                ) from None
            return Answer(first.status, first.body, replayed=True)
        answer = write()
        claim.status, claim.body = answer.status, answer.body
        claim.save(update_fields=["status", "body"])
    return answer


def forget_old_answers(*, now: Any = None) -> int:
    """Delete the answers older than a day (the deadline sweep calls this)."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted

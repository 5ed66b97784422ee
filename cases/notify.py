"""Notification providers, chosen per channel in settings like Django's e-mail backends.

    NOTIFICATION_PROVIDERS = {"sms": "myproject.sms.AliyunSms", "webhook": "cases.notify.WebhookProvider"}

Channels not named there use DEFAULT_PROVIDERS: in-app goes over the WebSocket to `user.<id>`, the
others are written to the log (a pilot needs no SMS contract). A provider's `send()` returns a short
detail or raises; `deliver()` records every attempt and retries with back-off through the sweep.
"""

import json
import logging
import time
import urllib.request
from datetime import timedelta
from typing import Protocol

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from command_center.realtime import event_message, send_to_users_on_commit

from .models import Channel, Notification, NotificationAttempt

logger = logging.getLogger(__name__)

DEFAULT_PROVIDERS: dict[str, str] = {
    Channel.IN_APP: "cases.notify.InAppProvider",
    Channel.SMS: "cases.notify.LoggingProvider",
    Channel.VOICE: "cases.notify.LoggingProvider",
    Channel.EMAIL: "cases.notify.LoggingProvider",
    Channel.WEBHOOK: "cases.notify.LoggingProvider",
}
RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 3600


class Provider(Protocol):
    def send(self, notification: Notification) -> str: ...


class LoggingProvider:
    def send(self, notification: Notification) -> str:
        logger.info(
            "notify %s to %s (%s): %s",
            notification.channel,
            notification.address,
            notification.recipient_id,
            notification.subject,
        )
        return "logged"


class InAppProvider:
    """A frame to the recipient's own socket group only (not the district's screens)."""

    def send(self, notification: Notification) -> str:
        if notification.recipient_id is None:
            raise ValueError("in-app notification without a recipient")
        message = event_message(
            event="notification.created",
            kind="notification",
            obj_id=notification.pk,
            version=1,
            data={"title": notification.subject, "body": notification.body, "case": notification.case_id},
        )
        # After the attempt is committed, like every realtime send (command_center.realtime).
        send_to_users_on_commit([notification.recipient_id], message)
        return f"queued for user.{notification.recipient_id}"


class EmailProvider:
    def send(self, notification: Notification) -> str:
        sent = send_mail(notification.subject, notification.body, None, [notification.address])
        if not sent:
            raise RuntimeError("the mail backend sent nothing")
        return "sent"


class WebhookProvider:
    """WeCom / DingTalk group robots: POST {"msgtype": "text", "text": {"content": ...}} to the URL."""

    timeout = 5

    def send(self, notification: Notification) -> str:
        if not notification.address.startswith(("https://", "http://")):
            raise ValueError("the webhook address is not an http(s) URL")
        payload = {"msgtype": "text", "text": {"content": f"{notification.subject}\n{notification.body}"}}
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            notification.address,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            body = response.read(500).decode("utf-8", "replace")
        # Both robots answer 200 with {"errcode": 0} on success and a non-zero errcode otherwise.
        try:
            errcode = json.loads(body).get("errcode", 0)
        except ValueError:
            errcode = 0
        if errcode:
            raise RuntimeError(f"webhook answered {body}")
        return str(body[:200])


def provider_path(channel: str) -> str:
    configured: dict[str, str] = getattr(settings, "NOTIFICATION_PROVIDERS", {}) or {}
    return configured.get(channel) or DEFAULT_PROVIDERS.get(channel, "cases.notify.LoggingProvider")


def get_provider(channel: str) -> Provider:
    return import_string(provider_path(channel))()  # type: ignore[no-any-return]


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


def deliver(notification_id: int) -> str:
    """Send one pending notification once. Idempotent: a sent or failed one, or one another worker holds
    right now, is left alone. Returns the notification's status afterwards ("" when skipped)."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id, status=Notification.Status.PENDING)
            .first()
        )
        if notification is None:
            return ""
        path = provider_path(notification.channel)
        started = time.monotonic()
        now = timezone.now()
        try:
            detail = str(import_string(path)().send(notification))
            ok = True
        except Exception as error:  # every provider failure is recorded, never raised to the worker
            detail = f"{type(error).__name__}: {error}"
            ok = False
            logger.warning("notification %s via %s failed: %s", notification.pk, path, detail)
        NotificationAttempt.objects.create(
            notification=notification,
            at=now,
            provider=path,
            ok=ok,
            detail=detail[:500],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        notification.attempts += 1
        if ok:
            notification.status = Notification.Status.SENT
            notification.sent_at = now
            notification.last_error = ""
        else:
            notification.last_error = detail[:500]
            if notification.attempts >= notification.max_attempts:
                notification.status = Notification.Status.FAILED
            else:
                notification.next_attempt_at = now + retry_delay(notification.attempts)
        notification.save(update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"])
        return str(notification.status)


@shared_task(name="cases.tasks.send_notifications")
def send_notifications(notification_ids: list[int]) -> list[str]:
    """One task for the notifications one action created: a task cost the worker more CPU than a
    delivery. Each is delivered and recorded on its own (deliver); the sweep requeues any left."""
    return [deliver(notification_id) for notification_id in notification_ids]


@shared_task(name="cases.tasks.send_notification")
def send_notification(notification_id: int) -> str:
    """One notification (tasks queued before send_notifications existed)."""
    return deliver(notification_id)

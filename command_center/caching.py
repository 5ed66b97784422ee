"""The one way a process keeps a catalogue that admins rarely change (categories, escalation policies,
sensor types, the work calendar): read on first use, kept at most `ttl` seconds, cleared at once in
this process when one of its models is saved or deleted. Other processes see a change within `ttl`."""

import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from django.db import models
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")


class ProcessCache(Generic[T]):
    every: ClassVar[list["ProcessCache[Any]"]] = []

    def __init__(self, name: str, load: Callable[[], T], *, ttl: float = 60.0) -> None:
        self.name = name
        self._load = load
        self.ttl = ttl
        self._value: tuple[float, T] | None = None
        self._lock = threading.Lock()
        ProcessCache.every.append(self)

    def get(self) -> T:
        with self._lock:
            kept = self._value
        if kept is not None and time.monotonic() - kept[0] < self.ttl:
            return kept[1]
        value = self._load()
        with self._lock:
            self._value = (time.monotonic(), value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._value = None

    def clear_on(self, *senders: type[models.Model]) -> None:
        """Clear this cache when one of these models is saved or deleted (call from AppConfig.ready)."""
        for sender in senders:
            for signal in (post_save, post_delete):
                signal.connect(self._cleared, sender=sender, weak=False, dispatch_uid=f"{self.name}:{sender}")

    def _cleared(self, **kwargs: object) -> None:
        self.clear()

    @classmethod
    def clear_all(cls) -> None:
        """Tests start from the database, not from what an earlier test left in a cache."""
        for cache in cls.every:
            cache.clear()

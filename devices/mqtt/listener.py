"""The MQTT ingest listener: receive, store in batches, PUBACK only what is committed.

Rules (DESIGN.md): paho 2.x with CallbackAPIVersion.VERSION2; a fixed client id and a persistent
session (MQTT 5 `clean_start=False` with a session expiry, MQTT 3.1.1 `clean_session=False`), so the
broker keeps what arrives while the listener is down; `manual_ack=True` and the PUBACK of a message is
sent only after the batch that holds it is committed, so a crash before the commit makes the broker
redeliver it (and the inbox's unique key drops the copy that was committed but not acknowledged).
MQTT 5 shared subscription `$share/<group>/sensors/#` lets several listeners split the load. The whole of
`sensors/` is read, so a message on another topic there (`sensors/<code>/status`) becomes a dead letter
instead of reaching no subscriber.

Batches are bounded by size and by time (the first message of a batch waits at most `batch_wait`
seconds). paho's network thread only appends to a list; a flusher thread stores and acknowledges.
"""

import logging
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
from django.db import close_old_connections, connection
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

logger = logging.getLogger(__name__)


# A batch's PUBACKs go to paho as one queued write (`Client._packet_queue`, the method `Client.ack()`
# ends in): with one `ack()` per message paho queued 500 packets, woke its network thread through its
# socket pair 500 times and sent 500 segments, 12 µs a message of the listener's ~57 for receiving and
# acknowledging (measured alone, 100,000 messages, alternating). The bytes on the wire are the same:
# PUBACK, remaining length 2, packet id (success in MQTT 3.1.1 and 5). If a paho release drops the
# method, `client.ack()` is used (tests/devices/test_listener.py fails loudly first).
_PUBACK = struct.Struct("!BBH")
_PUBACK_BYTE = PacketTypes.PUBACK << 4


class DrainingClient(mqtt.Client):
    """paho's client, reading every packet that is waiting when its socket turns readable.

    paho 2.x reads one packet per wake-up of its network loop when nothing of ours is in flight
    (`loop_read` sets its own `max_packets` to the messages in flight, at least 1), so a subscriber
    pays a select() and a turn of the loop for each message: 22-25 µs of CPU a message where reading
    on to EAGAIN takes 12-14 when messages wait (`bench/paho_receive.py`: a listener catching up on its
    session, or under load; at the ingest bench's capacity the listener took 4-9 µs less a message).
    Bounded, so a flood cannot keep the loop from its writes (our PUBACKs) and keepalive: the socket
    is still readable afterwards, and the next turn reads on. If a paho release drops `_packet_read`,
    stock `loop_read` is used (tests/devices/test_listener.py fails loudly first).
    """

    max_packets_per_read = 1000
    can_drain = hasattr(mqtt.Client, "_packet_read")

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        if not self.can_drain:
            return super().loop_read(max_packets)
        for _ in range(self.max_packets_per_read):
            if self._sock is None:
                return MQTTErrorCode.MQTT_ERR_NO_CONN
            rc = self._packet_read()
            if rc > 0:
                return self._loop_rc_handle(rc)
            if rc == MQTTErrorCode.MQTT_ERR_AGAIN:
                break
        return MQTTErrorCode.MQTT_ERR_SUCCESS


class IngestClient(DrainingClient):
    """The listener's paho client: DrainingClient, and a plain PUBLISH decoded and dispatched directly.

    For MQTT 5 paho builds a `Properties` object for every PUBLISH, even one without properties (what
    Mosquitto forwards from our devices), and that constructor builds its own tables of every property;
    then it matches each topic against the per-topic callbacks, which the listener has none of. Receiving
    at 9,000 messages/s cost the listener 40 µs of CPU a message with stock paho's decoding and 18 with
    this (measured in one process, the publisher in another; docs/performance.md, 2026-12-05 evening).

    A QoS 1 PUBLISH with an empty property section is decoded here (MQTT 5.0 §3.3: topic name, packet
    id, property length 0, payload; `message.properties` is None) and handed to `on_message`. Anything
    else (another QoS, properties present, MQTT 3.1.1, a packet shorter than it declares) goes through
    paho's own decoder. If a paho release drops the private members this uses, paho's path is used
    (tests/devices/test_listener.py fails loudly first).
    """

    can_decode = all(hasattr(mqtt.Client, name) for name in ("_handle_publish", "_send_puback"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The protocol is fixed when the client is made: decided once, not for every message.
        self._decode_publish = (
            self.can_decode
            and all(
                hasattr(self, name)
                for name in ("_in_packet", "_protocol", "_manual_ack", "_in_callback_mutex")
            )
            and self._protocol == MQTTProtocolVersion.MQTTv5
        )

    def message_callback_add(self, sub: str, callback: Any) -> None:
        raise TypeError("IngestClient hands every message to on_message; per-topic callbacks are not used")

    def _handle_publish(self) -> MQTTErrorCode:
        if not self._decode_publish:
            return super()._handle_publish()
        command, packet = self._in_packet["command"], self._in_packet["packet"]
        if command & 0x06 != 0x02:  # the QoS bits: not 1
            return super()._handle_publish()
        properties_at = 2 + int.from_bytes(packet[:2], "big") + 2  # topic length, topic, packet id
        if len(packet) <= properties_at or packet[properties_at] != 0:
            return super()._handle_publish()  # properties to decode, or malformed: paho's decoder says
        message = mqtt.MQTTMessage(
            mid=int.from_bytes(packet[properties_at - 2 : properties_at], "big"),
            topic=bytes(packet[2 : properties_at - 2]),
        )
        message.qos = 1
        message.dup = bool(command & 0x08)
        message.retain = bool(command & 0x01)
        message.payload = bytes(packet[properties_at + 1 :])
        message.timestamp = mqtt.time_func()
        on_message = self.on_message
        if on_message is not None:
            with self._in_callback_mutex:
                on_message(self, self._userdata, message)
        if self._manual_ack:
            return MQTTErrorCode.MQTT_ERR_SUCCESS
        return self._send_puback(message.mid)


@dataclass(frozen=True)
class _Pending:
    item: Any  # devices.ingest.Received
    mid: int
    qos: int
    generation: int  # connection generation: acks of an older connection are never sent


class IngestListener:
    IDLE_WAIT = 0.5  # seconds an idle flusher sleeps between looks at the stop flag

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str = "",
        password: str = "",
        client_id: str,
        shared_subscription: bool,
        topic: str = "sensors/#",
        group: str = "ingest",
        batch_size: int = 500,
        batch_wait: float = 0.02,
        persistent_session: bool = True,
        manual_ack: bool = True,
        protocol: MQTTProtocolVersion | None = None,
        session_expiry: int = 7 * 24 * 3600,
        receive_maximum: int = 1000,
        keepalive: int = 30,
        store: Callable[[Sequence[Any]], Any] | None = None,
        batch_acks: bool = True,
    ) -> None:
        self.host, self.port = host, port
        self.topic = f"$share/{group}/{topic}" if shared_subscription else topic
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.persistent_session = persistent_session
        self.manual_ack = manual_ack
        self.keepalive = keepalive
        self.session_expiry = session_expiry
        self.receive_maximum = receive_maximum
        # MQTT 5 for shared subscriptions; the embedded amqtt broker speaks 3.1.1 only.
        self.protocol = protocol or (
            MQTTProtocolVersion.MQTTv5 if shared_subscription else MQTTProtocolVersion.MQTTv311
        )
        self._store = store
        self._pending: list[_Pending] = []
        self._first_at = 0.0
        self._cond = threading.Condition()
        self._ack_lock = threading.Lock()
        self._generation = 0
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_loop, name="mqtt-ingest-flusher", daemon=True)
        self.connected = threading.Event()
        self.stats = {
            "received": 0,
            "stored": 0,
            "duplicates": 0,
            "dead_letters": 0,
            "batches": 0,
            "acked": 0,
        }

        if persistent_session or manual_ack:
            kwargs: dict[str, Any] = {"manual_ack": manual_ack}
            if self.protocol != MQTTProtocolVersion.MQTTv5:
                kwargs["clean_session"] = not persistent_session
        else:
            kwargs = {}  # paho's defaults, for the test that proves they lose messages
        self.batch_acks = batch_acks and hasattr(mqtt.Client, "_packet_queue")
        self.client = IngestClient(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=self.protocol,
            **kwargs,
        )
        if username:
            self.client.username_pw_set(username, password or None)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    # lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect and run in background threads (paho's network loop and the flusher)."""
        connect_kwargs: dict[str, Any] = {}
        if self.protocol == MQTTProtocolVersion.MQTTv5 and self.persistent_session:
            properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]  # paho has no annotations here
            properties.SessionExpiryInterval = self.session_expiry
            properties.ReceiveMaximum = self.receive_maximum
            connect_kwargs = {"clean_start": False, "properties": properties}
        self._flusher.start()
        self.client.connect_async(self.host, self.port, keepalive=self.keepalive, **connect_kwargs)
        self.client.loop_start()

    def stop(self, timeout: float = 10.0) -> None:
        """Store and acknowledge what has arrived, then disconnect (the session stays on the broker)."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._flusher.join(timeout)
        self.client.disconnect()
        self.client.loop_stop()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        """Wait until connected and subscribed (the broker acknowledged the subscription)."""
        return self.connected.wait(timeout)

    # paho callbacks (network thread) -------------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            logger.error("MQTT connect to %s:%s refused: %s", self.host, self.port, reason_code)
            return
        with self._ack_lock:
            self._generation += 1
        client.subscribe(self.topic, qos=1)
        logger.info(
            "MQTT connected to %s:%s (session present: %s), subscribed to %s",
            self.host,
            self.port,
            getattr(flags, "session_present", "?"),
            self.topic,
        )

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_codes: Any, properties: Any
    ) -> None:
        if any(code.is_failure for code in reason_codes):
            logger.error("MQTT subscription to %s refused: %s", self.topic, reason_codes)
            return
        self.connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        with self._ack_lock:
            self._generation += 1  # packet ids of the old connection mean nothing on the next one
        self.connected.clear()
        if not self._stop.is_set():
            logger.warning("MQTT disconnected (%s); paho reconnects", reason_code)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        # why: bench/paho_receive.py imports this module without Django (the ingest needs its models)
        from devices.ingest import Received

        topic = message._topic.decode("utf-8", errors="replace")  # never raise in the network thread
        pending = _Pending(
            Received(topic, bytes(message.payload), datetime.now(UTC)),  # timezone.now(), cheaper
            message.mid,
            message.qos,
            self._generation,
        )
        with self._cond:
            first = not self._pending
            if first:
                self._first_at = time.monotonic()
            self._pending.append(pending)
            self.stats["received"] += 1
            # The first message starts the batch's clock: an idle flusher must wake to count batch_wait
            # from it (else a lone message waited for IDLE_WAIT); a full batch goes at once.
            if first or len(self._pending) >= self.batch_size:
                self._cond.notify()

    # flusher thread ------------------------------------------------------------------------------

    def _next_batch(self) -> list[_Pending]:
        with self._cond:
            while not self._stop.is_set():
                if self._pending:
                    remaining = self._first_at + self.batch_wait - time.monotonic()
                    if len(self._pending) >= self.batch_size or remaining <= 0:
                        break
                    self._cond.wait(remaining)
                else:
                    self._cond.wait(self.IDLE_WAIT)
            batch = self._pending[: self.batch_size]
            del self._pending[: self.batch_size]
            if self._pending:
                self._first_at = time.monotonic()
            return batch

    def _flush_loop(self) -> None:
        try:
            while True:
                batch = self._next_batch()
                if batch:
                    if not self._store_batch(batch):
                        return  # stopping while the database is unreachable: the broker redelivers
                    self._ack(batch)
                elif self._stop.is_set():
                    return
        finally:
            connection.close()

    def _store_batch(self, batch: list[_Pending]) -> bool:
        """Store until it works (nothing is acknowledged before); False if asked to stop meanwhile."""
        # why: bench/paho_receive.py imports this module without Django (the ingest needs its models)
        from devices.ingest import ingest_messages

        store = self._store or (lambda items: ingest_messages(messages=items))
        delay = 0.5
        failures = 0
        while True:
            try:
                result = store([p.item for p in batch])
                break
            except Exception:
                failures += 1
                logger.exception("storing a batch of %s messages failed (attempt %s)", len(batch), failures)
                close_old_connections()
                connection.close()
                if failures >= 3 and len(batch) > 1:
                    # One poisonous message must not hold the others back: store them one by one.
                    return all(self._store_batch([one]) for one in batch)
                if failures >= 5 and self._keep_as_dead_letter(batch[0]):
                    return True
                if self._stop.wait(delay):
                    return False
                delay = min(delay * 2, 5.0)
        self.stats["batches"] += 1
        if result is not None:
            self.stats["stored"] += len(result.stored)
            self.stats["duplicates"] += result.duplicates
            self.stats["dead_letters"] += result.dead_letters
        return True

    def _keep_as_dead_letter(self, pending: _Pending) -> bool:
        """A single message that cannot be stored is kept byte for byte with its error instead."""
        # why: bench/paho_receive.py imports this module without Django (the ingest needs its models)
        from devices.ingest import dead_letter_raw

        try:
            dead_letter_raw(pending.item, detail="could not be stored (see the listener's log)")
        except Exception:
            logger.exception("keeping an unstorable message as a dead letter failed too; retrying")
            close_old_connections()
            return False
        self.stats["dead_letters"] += 1
        return True

    def _ack(self, batch: list[_Pending]) -> None:
        if not self.manual_ack:
            return
        with self._ack_lock:
            current = [p for p in batch if p.qos > 0 and p.generation == self._generation]
            if self.batch_acks:
                # The batch's PUBACKs as one write, where client.ack() queues a packet per message, wakes
                # paho's network thread through its socket pair for each and sends each on its own.
                packets = b"".join(_PUBACK.pack(_PUBACK_BYTE, 2, p.mid) for p in current if p.qos == 1)
                if packets:
                    self.client._packet_queue(_PUBACK_BYTE, packets, 0, 0)
                current = [p for p in current if p.qos != 1]
                self.stats["acked"] += len(packets) // _PUBACK.size
            for pending in current:
                self.client.ack(pending.mid, pending.qos)
                self.stats["acked"] += 1

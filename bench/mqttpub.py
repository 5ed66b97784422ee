"""A cheap QoS 1 MQTT publisher for the benchmarks (load generator only, never product code).

The benches' paho publishers cost ~200 µs of CPU per message on the same 2 cores the product runs on:
a quarter of the box. This one speaks just enough MQTT 3.1.1 to publish at QoS 1: a raw socket, the
CONNECT and each topic pre-encoded, many PUBLISH packets per `sendall`, and the PUBACKs read in bulk
and counted against the packet ids in flight, so "acknowledged by the broker" stays exact.

    publisher = Publisher("127.0.0.1", 1883, client_id="bench-pub-0")
    publisher.send([(topic_header, payload), ...])   # topic_header = Publisher.topic(topic)
    publisher.finish(timeout=120)                     # waits for every PUBACK, then DISCONNECT
    publisher.sent, publisher.acked

Clean session, keepalive 60 s (a PINGREQ when nothing was sent for 30 s). At most `max_in_flight`
messages wait for their PUBACK (never more than the 65,535 packet ids).
"""

import socket
import time
from collections.abc import Sequence

CONNACK = 0x20
PUBACK = 0x40
PINGRESP = 0xD0
KEEPALIVE = 60


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


class PublishError(RuntimeError):
    pass


class Publisher:
    def __init__(self, host: str, port: int, *, client_id: str, max_in_flight: int = 20_000) -> None:
        if not 0 < max_in_flight < 65_535:
            raise ValueError("max_in_flight must be within 1..65534")
        self.max_in_flight = max_in_flight
        self.sent = 0
        self.acked = 0
        self._in_flight = bytearray(65_536)  # 1 while that packet id waits for its PUBACK
        self._waiting = 0
        self._next_id = 0
        self._buffer = b""
        self._last_send = time.monotonic()
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        variable = _string("MQTT") + bytes([4, 0x02]) + KEEPALIVE.to_bytes(2, "big")  # 3.1.1, clean
        body = variable + _string(client_id)
        self.sock.sendall(bytes([0x10]) + _remaining_length(len(body)) + body)
        connack = self._recv_exactly(4)
        if connack[0] != CONNACK or connack[3] != 0:
            raise PublishError(f"CONNECT refused: {connack.hex()}")

    @staticmethod
    def topic(topic: str) -> bytes:
        """The topic as PUBLISH carries it (length + UTF-8): encode each topic once, reuse it."""
        return _string(topic)

    def send(self, messages: Sequence[tuple[bytes, bytes]]) -> None:
        """Publish (topic from `topic()`, payload) pairs at QoS 1 in as few `sendall`s as possible."""
        parts: list[bytes] = []
        in_flight = self._in_flight
        for topic, payload in messages:
            if self._waiting >= self.max_in_flight:
                self._flush(parts)
                parts = []
                self._read_acks(block=True)
            packet_id = self._next_id % 65_535 + 1
            while in_flight[packet_id]:  # an id still unacknowledged (only if the broker lags 65,534)
                self._flush(parts)
                parts = []
                self._read_acks(block=True)
            self._next_id = packet_id
            in_flight[packet_id] = 1
            self._waiting += 1
            parts.append(b"\x32")
            parts.append(_remaining_length(len(topic) + 2 + len(payload)))
            parts.append(topic)
            parts.append(packet_id.to_bytes(2, "big"))
            parts.append(payload)
        self._flush(parts)
        self.sent += len(messages)
        self._read_acks(block=False)

    def poll(self) -> None:
        """Count the PUBACKs that have arrived; a PINGREQ when idle for half the keepalive."""
        self._read_acks(block=False)
        if time.monotonic() - self._last_send > KEEPALIVE / 2:
            self.sock.sendall(b"\xc0\x00")
            self._last_send = time.monotonic()

    def finish(self, timeout: float = 120) -> None:
        """Wait for every PUBACK (or `timeout`), then DISCONNECT and close."""
        deadline = time.monotonic() + timeout
        while self._waiting and time.monotonic() < deadline:
            self.poll()
            self._read_acks(block=True, timeout=0.2)
        try:
            self.sock.sendall(b"\xe0\x00")
        finally:
            self.sock.close()

    # ---------------------------------------------------------------------------------------------

    def _flush(self, parts: list[bytes]) -> None:
        if parts:
            self.sock.sendall(b"".join(parts))
            self._last_send = time.monotonic()

    def _read_acks(self, *, block: bool, timeout: float = 30.0) -> None:
        if block:
            self.sock.settimeout(timeout)
            try:
                data = self.sock.recv(262_144)
            except TimeoutError:
                return
            finally:
                self.sock.settimeout(None)
            if not data:
                raise PublishError("the broker closed the connection")
        else:
            data = b""
        while True:
            try:
                more = self.sock.recv(262_144, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            if not more:
                raise PublishError("the broker closed the connection")
            data += more
        if data:
            self._parse(data)

    def _parse(self, data: bytes) -> None:
        buffer = self._buffer + data
        in_flight = self._in_flight
        i, end = 0, len(buffer)
        while end - i >= 2:
            kind, length = buffer[i] & 0xF0, buffer[i + 1]  # PUBACK and PINGRESP: one length byte
            if length & 0x80:
                raise PublishError(f"unexpected packet {buffer[i : i + 8].hex()}")
            if end - i < 2 + length:
                break
            if kind == PUBACK and length == 2:
                packet_id = (buffer[i + 2] << 8) | buffer[i + 3]
                if not in_flight[packet_id]:
                    raise PublishError(f"PUBACK for packet id {packet_id}, which is not in flight")
                in_flight[packet_id] = 0
                self._waiting -= 1
                self.acked += 1
            elif kind != PINGRESP:
                raise PublishError(f"unexpected packet {buffer[i : i + 2 + length].hex()}")
            i += 2 + length
        self._buffer = buffer[i:]

    def _recv_exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            more = self.sock.recv(n - len(data))
            if not more:
                raise PublishError("the broker closed the connection")
            data += more
        return data

"""The embedded MQTT broker of the standalone profile (amqtt, MQTT 3.1.1), run in its own thread.

A pilot or a laptop needs no Mosquitto: sensors publish to this one. When a broker already listens
on the configured port (Mosquitto on a developer machine), runcenter uses that one instead.
"""

import asyncio
import logging
import socket
import threading

from amqtt.broker import Broker

logger = logging.getLogger(__name__)


def port_is_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class EmbeddedBroker:
    def __init__(self, *, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="embedded-mqtt-broker", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._broker: Broker | None = None

    def _config(self) -> dict:
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            # Anonymous devices are fine on a laptop or pilot; a district uses Mosquitto with an ACL.
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._broker = Broker(self._config(), loop=self._loop)
            self._loop.run_until_complete(self._broker.start())
        except BaseException as exc:
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()

    def start(self, timeout: float = 15.0) -> None:
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError("the embedded MQTT broker did not start in time")
        if self._error is not None:
            raise RuntimeError(f"the embedded MQTT broker failed to start: {self._error}") from self._error
        logger.info("embedded MQTT broker listening on %s:%s", self.host, self.port)

    def stop(self) -> None:
        if self._broker is None or not self._loop.is_running():
            return
        future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
        try:
            future.result(timeout=10)
        except Exception:
            logger.warning("embedded MQTT broker did not shut down cleanly", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

"""What a subscriber's receiving costs: stock paho against the listener's clients.

    .venv/bin/python bench/paho_receive.py [--messages 200000] [--rounds 2]

A scratch Mosquitto (no queue limits), one subscriber at a time (QoS 1, PUBACK by paho), and
bench/mqttpub.py publishing the messages as fast as the broker takes them, so they wait in the
subscriber's socket as they do when a listener catches up on its persistent session. Each round measures
MQTT 3.1.1 (stock paho, DrainingClient) and MQTT 5, the listener's protocol (stock paho, DrainingClient,
IngestClient, which decodes a PUBLISH without properties itself). Prints the subscriber process's CPU µs
per message (the publisher, ~2 µs a message, runs in the same process and is counted in all) and
messages/s, from the first message to the last.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest import free_port, wait_for_port
from mqttpub import Publisher

from devices.mqtt.listener import DrainingClient, IngestClient

PAYLOAD = b'{"id":"m-000001","ts":"2026-12-05T19:00:00+00:00","type":"smoke","value":0,"battery":90}'


def measure(
    client_class: type[mqtt.Client], protocol: MQTTProtocolVersion, port: int, count: int
) -> tuple[float, float]:
    """(CPU µs per message, messages per second) of one subscriber receiving `count` messages."""
    received = 0
    first: tuple[float, float] = (0.0, 0.0)
    last: tuple[float, float] = (0.0, 0.0)
    done, subscribed = threading.Event(), threading.Event()

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        nonlocal received, first, last
        received += 1
        if received == 1:
            first = (time.process_time(), time.perf_counter())
        if received == count:
            last = (time.process_time(), time.perf_counter())
            done.set()

    topic = f"bench/{client_class.__name__}/{protocol.name}/data"
    client = client_class(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"receive-{topic}", protocol=protocol
    )
    client.on_message = on_message
    client.on_connect = lambda c, *args: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    if not subscribed.wait(10):
        raise TimeoutError("no SUBACK")
    publisher = Publisher("127.0.0.1", port, client_id=f"publish-{topic}")
    header = Publisher.topic(topic)
    for start in range(0, count, 1000):
        publisher.send([(header, PAYLOAD)] * min(1000, count - start))
    publisher.finish(timeout=300)
    if not done.wait(300):
        raise TimeoutError(f"{received} of {count} messages arrived")
    client.disconnect()
    client.loop_stop()
    cpu, wall = last[0] - first[0], last[1] - first[1]
    return 1e6 * cpu / count, count / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        conf = Path(workdir) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 0\nmax_inflight_messages 0\n"
        )
        broker = subprocess.Popen(
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port)
            for round_ in range(1, args.rounds + 1):
                for protocol, client_class in [
                    (MQTTProtocolVersion.MQTTv311, mqtt.Client),
                    (MQTTProtocolVersion.MQTTv311, DrainingClient),
                    (MQTTProtocolVersion.MQTTv5, mqtt.Client),
                    (MQTTProtocolVersion.MQTTv5, DrainingClient),
                    (MQTTProtocolVersion.MQTTv5, IngestClient),
                ]:
                    cpu, rate = measure(client_class, protocol, port, args.messages)
                    print(f"round {round_} {protocol.name:>8} {client_class.__name__:>14}: {cpu:5.1f} µs CPU"
                          f" a message, {rate:,.0f} messages/s", flush=True)  # fmt: skip
        finally:
            broker.terminate()
            broker.wait(10)


if __name__ == "__main__":
    main()

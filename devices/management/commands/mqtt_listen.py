"""Run the MQTT ingest listener until SIGTERM or Ctrl-C (a thin wrapper over IngestListener).

    python manage.py mqtt_listen [--client-id dcc-ingest-2] [--batch-size 500] [--batch-wait-ms 50]

Several listeners split the load through the MQTT 5 shared subscription $share/ingest/sensors/#;
each needs its own fixed client id (MQTT_CLIENT_ID or --client-id) so its session survives restarts.
"""

import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from devices.mqtt.listener import IngestListener


class Command(BaseCommand):
    help = "Receive sensor messages over MQTT and store them in the inbox (PUBACK after commit)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--client-id", default=settings.MQTT["client_id"], help="fixed MQTT client id")
        parser.add_argument("--batch-size", type=int, default=500, help="messages per stored batch at most")
        # 50 ms: at 1,000 messages/s a 20-ms batch made a Celery task of ~20 messages, and the ingest worker
        # spent its time on the per-task round trips (wall screen alarms queued for seconds, issue 5).
        parser.add_argument("--batch-wait-ms", type=int, default=50, help="longest wait to fill a batch")
        parser.add_argument(
            "--no-shared",
            action="store_true",
            help="plain subscription (brokers without MQTT 5, one listener)",
        )
        parser.add_argument("--host", default=settings.MQTT["host"])
        parser.add_argument("--port", type=int, default=settings.MQTT["port"])
        # Only for the test that proves paho's defaults lose messages: never in production.
        parser.add_argument("--unsafe-paho-defaults", action="store_true", help="clean session, auto PUBACK")

    def handle(self, *args: Any, **options: Any) -> None:
        unsafe = options["unsafe_paho_defaults"]
        shared = not options["no_shared"] and not settings.MQTT["embedded"]
        listener = IngestListener(
            host=options["host"],
            port=options["port"],
            username=settings.MQTT["username"],
            password=settings.MQTT["password"],
            client_id=options["client_id"],
            shared_subscription=shared,
            group=settings.MQTT["shared_group"],
            topic=settings.MQTT["topic"],
            batch_size=options["batch_size"],
            batch_wait=options["batch_wait_ms"] / 1000,
            persistent_session=not unsafe,
            manual_ack=not unsafe,
        )
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        listener.start()
        where = f"{options['host']}:{options['port']}"
        warning = " (UNSAFE paho defaults)" if unsafe else ""
        self.stdout.write(f"mqtt_listen: {where} topic {listener.topic} as {options['client_id']}{warning}")
        self.stdout.flush()
        if listener.wait_connected(60):  # tests and scripts wait for this line
            self.stdout.write("mqtt_listen: subscribed")
            self.stdout.flush()
        last = time.monotonic()
        while not stop.wait(1.0):
            if time.monotonic() - last >= 60:
                last = time.monotonic()
                self.stdout.write(f"mqtt_listen: {listener.stats}")
        listener.stop()
        self.stdout.write(f"mqtt_listen: stopped {listener.stats}")

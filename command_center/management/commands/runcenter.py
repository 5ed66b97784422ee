"""The whole platform in one process (standalone profile): HTTP and WebSocket, MQTT, jobs, simulator.

    python manage.py runcenter [--simulate] [--host 127.0.0.1] [--port 8000]

One community, a pilot or a laptop: SQLite, in-memory channel layer, tasks inline (no REDIS_URL),
the embedded amqtt broker (no MQTT_URL), with device credentials and the ACL, or the broker already
listening on the configured port (a warning on /health/ and the wall screen if it takes anonymous clients).
"""

import logging
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from command_center.periodic import PeriodicJobs
from devices.mqtt.broker_status import note_reused_broker
from devices.mqtt.embedded_broker import Account, EmbeddedBroker, accepts_anonymous, port_is_open
from devices.mqtt.listener import IngestListener
from devices.simulator import SensorSimulator

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the whole platform in one process: HTTP, WebSocket, MQTT broker and listener, jobs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to serve HTTP and WebSocket on")
        parser.add_argument("--port", type=int, default=8000, help="port to serve HTTP and WebSocket on")
        parser.add_argument("--simulate", action="store_true", help="run simulated demo sensors")
        parser.add_argument("--rate", type=int, default=20, help="simulated messages per second")
        parser.add_argument("--no-jobs", action="store_true", help="do not run the periodic jobs")

    def handle(self, *args: Any, **options: Any) -> None:
        self._ensure_static_files()
        mqtt = settings.MQTT
        stoppables: list[Any] = []
        try:
            broker = self._start_broker(mqtt)
            stoppables.append(broker)
            # The embedded broker's own service accounts; a broker of MQTT_URL or found listening: its user.
            login = Account(mqtt["username"], mqtt["password"])
            stoppables.append(self._start_listener(mqtt, broker.ingest if broker else login))
            if not options["no_jobs"]:
                jobs = PeriodicJobs(settings.PERIODIC_JOBS)
                jobs.start()
                stoppables.append(jobs)
            if options["simulate"]:
                stoppables.append(
                    self._start_simulator(mqtt, broker.simulator if broker else login, options["rate"])
                )
            self._banner(options["host"], options["port"])
            self._serve(options["host"], options["port"])
        finally:
            for part in reversed([s for s in stoppables if s is not None]):
                try:
                    part.stop()
                except Exception:
                    logger.exception("stopping %s failed", type(part).__name__)

    def _ensure_static_files(self) -> None:
        # The manifest storage needs collectstatic once; do it here so runcenter works on its own.
        manifest = getattr(staticfiles_storage, "manifest_name", None)
        if manifest and not (settings.STATIC_ROOT / manifest).exists():
            self.stdout.write("Collecting static files (first start)…")
            call_command("collectstatic", interactive=False, verbosity=0)

    def _start_broker(self, mqtt: dict[str, Any]) -> EmbeddedBroker | None:
        host, port = mqtt["host"], mqtt["port"]
        if not mqtt["embedded"]:
            self.stdout.write(f"MQTT: using the broker of MQTT_URL at {host}:{port}")
            return None
        if port_is_open(host, port):
            self.stdout.write(
                self.style.WARNING(
                    f"MQTT: a broker already listens on {host}:{port}: using it, no embedded broker"
                )
            )
            anonymous = accepts_anonymous(host, port)
            note_reused_broker(host=host, port=port, anonymous=anonymous)
            if anonymous:
                self.stdout.write(
                    self.style.WARNING(
                        f"MQTT: WARNING: the broker on {host}:{port} accepts anonymous clients (no device "
                        "credentials, no ACL); /health/ and the wall screen say so"
                    )
                )
            return None
        broker = EmbeddedBroker(host=host, port=port)
        broker.start()
        self.stdout.write(f"MQTT: embedded broker (amqtt) listening on {host}:{port}")
        return broker

    def _start_listener(self, mqtt: dict[str, Any], login: Account) -> Any:
        listener = IngestListener(
            host=mqtt["host"],
            port=mqtt["port"],
            username=login.username,
            password=login.password,
            client_id=mqtt["client_id"],
            topic=mqtt["topic"],
            # amqtt speaks MQTT 3.1.1 only: no shared subscription there.
            shared_subscription=not mqtt["embedded"],
        )
        listener.start()
        self.stdout.write(f"MQTT: listener subscribed to {mqtt['topic']}")
        return listener

    def _start_simulator(self, mqtt: dict[str, Any], login: Account, rate: int) -> Any:
        simulator = SensorSimulator(
            host=mqtt["host"],
            port=mqtt["port"],
            username=login.username,
            password=login.password,
            rate=rate,
        )
        simulator.start()
        self.stdout.write(f"Simulated sensors: {rate} messages/s")
        return simulator

    def _banner(self, host: str, port: int) -> None:
        base = f"http://{host}:{port}"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDistrict Command Center ({settings.PROFILE} profile) 街道综合指挥中心\n"
                f"  墙屏 wall screen: {base}/screen/\n"
                f"  管理 admin:       {base}/admin/\n"
                f"  API docs:         {base}/api/docs/\n"
                "  Demo accounts (demo data only): admin, dispatcher, gridworker, handler, official"
                " / password demo12345\n"
                "  Ctrl-C stops everything.\n"
            )
        )

    def _serve(self, host: str, port: int) -> None:
        # Imported here: importing daphne.server installs Twisted's reactor, which only serving needs.
        from channels.routing import get_default_application
        from daphne.endpoints import build_endpoint_description_strings
        from daphne.server import Server

        if port_is_open(host, port):
            raise CommandError(f"port {port} on {host} is already in use; pick another with --port")
        Server(
            application=get_default_application(),
            endpoints=build_endpoint_description_strings(host=host, port=port),
            signal_handlers=True,
            verbosity=0,
        ).run()

"""Publish simulated protocol-v1 sensor traffic for the registered points to the configured broker.

    python manage.py simulate_sensors --rate 50 [--storm] [--duration 60]

The broker is settings.MQTT (MQTT_URL, or the embedded broker's address, where it logs in with the
simulator's account of `runcenter`: devices/mqtt/embedded_broker.py). Ctrl-C stops it cleanly.
"""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from devices.mqtt.embedded_broker import SIMULATOR_USER, service_accounts
from devices.simulator import DEFAULT_RATE, SensorSimulator, SimulatorError


def positive(kind: type) -> Any:
    def parse(text: str) -> Any:
        value = kind(text)
        if value <= 0:
            raise ValueError(text)
        return value

    parse.__name__ = f"positive {kind.__name__}"  # argparse names the type in its error message
    return parse


class Command(BaseCommand):
    help = "Publish simulated sensor traffic (heartbeats, readings, occasional alarms) for the active points."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rate", type=positive(float), default=DEFAULT_RATE, help="messages per second")
        parser.add_argument("--storm", action="store_true", help="start with a burst of smoke alarms")
        parser.add_argument(
            "--storm-size", type=positive(int), default=1000, help="smoke detectors in the storm"
        )
        parser.add_argument(
            "--duration", type=positive(float), default=None, help="stop after this many seconds"
        )
        parser.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable run")

    def handle(self, *args: Any, **options: Any) -> None:
        mqtt = settings.MQTT
        username, password = mqtt["username"], mqtt["password"]
        if mqtt["embedded"]:
            username, password = SIMULATOR_USER, service_accounts()[SIMULATOR_USER].password
        try:
            simulator = SensorSimulator(
                host=mqtt["host"],
                port=mqtt["port"],
                username=username,
                password=password,
                rate=options["rate"],
                storm=options["storm"],
                storm_size=options["storm_size"],
                seed=options["seed"],
                report=self.stdout.write,
            )
            simulator.start()
        except SimulatorError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _(
                "Simulating %(points)d sensor points at %(rate).0f messages/s to %(host)s:%(port)s; "
                "Ctrl-C stops."
            )
            % {
                "points": len(simulator.points),
                "rate": options["rate"],
                "host": mqtt["host"],
                "port": mqtt["port"],
            }
        )
        deadline = time.monotonic() + options["duration"] if options["duration"] else None
        try:
            while simulator.is_running() and (deadline is None or time.monotonic() < deadline):
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            simulator.stop()
        sent = simulator.sent
        self.stdout.write(
            _(
                "Stopped: %(total)d messages sent (%(alarms)d alarm values), "
                "%(unacked)d not acknowledged by the broker."
            )
            % {"total": sum(sent.values()), "alarms": sent["alarm"], "unacked": simulator.unacked}
        )

"""Write Mosquitto's password file and ACL from the sensor point registry.

    python manage.py mosquitto_auth --passwords /mosquitto/config/passwd --acl /mosquitto/config/acl \
        [--listener-user dcc-ingest --listener-password ...] [--reload-pid /run/mosquitto/mosquitto.pid]

Every active or maintenance point with credentials may connect as its code and publish only to
sensors/<code>/data; the listener account (by default the user and password of MQTT_URL) may read
every device topic. Files are replaced atomically; SIGHUP makes a running Mosquitto reload them.
"""

import os
import signal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devices import credentials
from devices.models import SensorPoint
from devices.selectors import points_with_credentials


def _write_atomic(path: Path, lines: Any, mode: int = 0o640) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line)
    tmp.chmod(mode)
    os.replace(tmp, path)


class Command(BaseCommand):
    help = "Generate Mosquitto's password file and ACL from the sensor point registry."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--passwords", required=True, type=Path, help="password file to write")
        parser.add_argument("--acl", required=True, type=Path, help="ACL file to write")
        parser.add_argument("--listener-user", default=settings.MQTT["username"] or "dcc-ingest")
        parser.add_argument(
            "--listener-password",
            default=settings.MQTT["password"],
            help="the listener's password (default: the one in MQTT_URL)",
        )
        parser.add_argument("--reload-pid", type=Path, help="Mosquitto's pid file: send SIGHUP to reload")
        parser.add_argument(
            "--mode",
            type=lambda text: int(text, 8),
            default=0o640,
            help="file mode, octal (default 640: the broker must share the files' group; Mosquitto 2 warns "
            "about world-readable files and later versions refuse them)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        listener_user, listener_password = options["listener_user"], options["listener_password"]
        if not listener_password:
            raise CommandError(
                "The listener needs a password: --listener-password or a password in MQTT_URL."
            )
        if listener_user in set(
            SensorPoint.objects.values_list("code", flat=True).filter(code=listener_user)
        ):
            raise CommandError(f"{listener_user!r} is also a device code: pick another listener user.")
        points = points_with_credentials().order_by("code").values_list("code", "mqtt_password_hash")
        count = 0

        def lines() -> Any:
            nonlocal count
            yield credentials.password_file([(listener_user, credentials.mosquitto_hash(listener_password))])
            for code, encoded in points.iterator(chunk_size=5000):
                count += 1
                yield f"{code}:{encoded}\n"

        _write_atomic(options["passwords"], lines(), mode=options["mode"])
        _write_atomic(
            options["acl"], [credentials.acl_file(listener_usernames=[listener_user])], mode=options["mode"]
        )
        self.stdout.write(f"mosquitto_auth: {count} devices and the listener {listener_user!r} written")
        if options["reload_pid"]:
            try:
                pid = int(options["reload_pid"].read_text().strip())
                os.kill(pid, signal.SIGHUP)
            except (OSError, ValueError) as exc:
                raise CommandError(f"could not signal Mosquitto to reload: {exc}") from exc
            self.stdout.write(f"mosquitto_auth: Mosquitto (pid {pid}) reloads its files")

"""What runcenter found about the MQTT broker, for /health/ and the wall screen (one process serves both
in the standalone profile). Apart from embedded_broker.py so the web app does not import a broker."""

from django.utils.translation import gettext as _

_anonymous_broker: tuple[str, int] | None = None


def note_reused_broker(*, host: str, port: int, anonymous: bool) -> None:
    """runcenter found a broker listening on the embedded broker's port and uses it."""
    global _anonymous_broker
    _anonymous_broker = (host, port) if anonymous else None


def broker_warnings() -> list[dict[str, str]]:
    """Warnings about the MQTT broker, [] when all is well."""
    if _anonymous_broker is None:
        return []
    host, port = _anonymous_broker
    message = _("The MQTT broker on %(host)s:%(port)s accepts anonymous clients.") % {
        "host": host,
        "port": port,
    }
    return [{"code": "mqtt_anonymous", "message": message}]

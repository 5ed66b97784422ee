"""The snapshot the wall screen loads on start, on every reconnect and whenever the socket reports a
gap, so the page always converges to the database whatever the channel layer dropped. Each section is
a registered panel (screen/panels.py)."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from command_center.realtime import current_seqs
from devices.mqtt.broker_status import broker_warnings
from screen import panels_duty, panels_figures, panels_map  # noqa: F401  # each registers its panels
from screen.panels import PANELS, ordered
from screen.scope import BadScreenRequest, ScreenScope

SECTIONS = tuple(entry.name for entry in ordered())


def parse_sections(value: str | None) -> tuple[str, ...]:
    if not value:
        return SECTIONS
    sections = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [part for part in sections if part not in SECTIONS]
    if unknown:
        raise BadScreenRequest(
            _("Unknown section %(unknown)s; choose from %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(SECTIONS)}
        )
    return sections


def build_snapshot(screen: ScreenScope, *, sections: tuple[str, ...] = SECTIONS) -> dict[str, Any]:
    """Everything the page shows, as of now.

    `version` counts the events sent to the screen's groups; it is read before anything else, so an
    event numbered after it may repeat what the snapshot holds (the page keeps the higher object
    version) but none numbered up to it is missing from the snapshot.
    """
    seqs = current_seqs(screen.groups)
    now = timezone.now()
    snapshot: dict[str, Any] = {
        "version": sum(seqs.values()),
        "seqs": seqs,
        "generated_at": now.isoformat(),
        "grid": screen.grid_id,
        "sections": list(sections),
        "warnings": [warning["message"] for warning in broker_warnings()],  # shown beside "Live"
    }
    for name in sections:
        snapshot.update(PANELS[name].build(screen, now))
    return snapshot

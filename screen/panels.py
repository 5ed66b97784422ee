"""The wall screen's panels. A panel is one section of the snapshot: a server builder registered here
with @panel, and, when it has a box of its own on the page, a template and a script whose renderer
registers with DCC.panel(name, render) (static/js/screen.js). docs/extending.md has the recipe."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from screen.scope import ScreenScope

Builder = Callable[[ScreenScope, datetime], dict[str, Any]]


@dataclass(frozen=True)
class Panel:
    name: str  # the section's name in ?sections= and in the snapshot
    build: Builder  # the snapshot's keys for this section
    position: int  # order in the snapshot and on the page
    template: str = ""  # the panel's box in the right column, when it has one
    script: str = ""  # its renderer (a static file)


PANELS: dict[str, Panel] = {}


def panel(name: str, *, position: int, template: str = "", script: str = "") -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        PANELS[name] = Panel(name=name, build=build, position=position, template=template, script=script)
        return build

    return register


def ordered() -> list[Panel]:
    return sorted(PANELS.values(), key=lambda entry: entry.position)

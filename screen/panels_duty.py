"""The "On duty now" panel: who answers right now (duty chief, dispatcher, grid workers on shift)."""

from datetime import datetime
from typing import Any

from grids.selectors import duty_now
from screen.panels import panel
from screen.scope import ScreenScope


@panel("duty", position=90, template="screen/panels/duty.html", script="js/panels/duty.js")
def duty_panel(screen: ScreenScope, now: datetime) -> dict[str, Any]:
    return {"duty": duty_now(grid_ids=screen.grid_ids, at=now)}

"""Demo patrol tracks for today: every grid worker walks a loop inside their grid (巡查轨迹).

`make run` calls this after `seed_demo`, so the demo shows today's tracks. Times are aligned to
`--every` seconds, so running it again adds only the positions since the last run (the unique time per
worker skips the rest).
"""

from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from shapely import affinity

from accounts.models import User
from grids.geometry import to_polygon
from grids.models import Grid
from grids.services import PositionIn, record_patrol_positions

WALK_SPEED = 1.1  # metres per second, an unhurried patrol
METRES_PER_DEGREE = 111_000.0


class Command(BaseCommand):
    help = "Create today's demo patrol tracks for every grid worker (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=60, help="seconds between positions (default 60)")
        parser.add_argument("--hours", type=float, default=8.0, help="length of the track before now")

    def handle(self, *args: object, every: int, hours: float, **options: object) -> None:
        if every < 5:
            self.stderr.write("--every must be at least 5 seconds")
            return
        now = timezone.localtime()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        start = max(midnight, now - timedelta(hours=hours))
        start = datetime.fromtimestamp((int(start.timestamp()) // every + 1) * every, tz=now.tzinfo)
        workers = User.objects.filter(role=User.Role.GRID_WORKER, is_active=True, grids__isnull=False)
        created = total = 0
        for index, worker in enumerate(workers.distinct().order_by("pk")):
            grid = worker.grids.order_by("code").first()
            if grid is None:  # (filtered above; a grid removed meanwhile)
                continue
            positions = _walk(grid, origin=midnight, start=start, end=now, every=every, phase=index * 0.37)
            created += record_patrol_positions(user=worker, positions=positions)
            total += len(positions)
        if total == 0:
            self.stdout.write("no grid workers with a grid: no patrol tracks created")
            return
        self.stdout.write(f"patrol tracks: {created} new positions ({total - created} already there)")


def _walk(
    grid: Grid, *, origin: datetime, start: datetime, end: datetime, every: int, phase: float
) -> list[PositionIn]:
    """Positions along a loop at 70 % of the grid's size around its centre, walked at WALK_SPEED.

    The place is a function of the time since `origin`, so a second run continues the same walk.
    """
    polygon = to_polygon(grid.boundary)
    loop = affinity.scale(polygon, xfact=0.7, yfact=0.7, origin="centroid").exterior
    length_m = loop.length * METRES_PER_DEGREE
    positions = []
    moment = start
    while moment <= end:
        walked = (moment - origin).total_seconds() * WALK_SPEED
        fraction = (walked / length_m + phase) % 1.0 if length_m else 0.0
        point = loop.interpolate(fraction, normalized=True)
        positions.append(PositionIn(lat=round(point.y, 7), lng=round(point.x, 7), recorded_at=moment))
        moment += timedelta(seconds=every)
    return positions

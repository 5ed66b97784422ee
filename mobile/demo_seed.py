"""The phones' demo rows: a gate guard (`guard`) of the first demo compound."""

from accounts.models import User
from grids.models import Compound

GUARD_USERNAME = "guard"


def seed_demo_mobile(*, password_hash: str) -> int:
    """Create the demo gate guard unless an account of that name exists; bind them to the first compound.
    `password_hash`: the demo accounts' (hashing is slow on purpose). Returns how many accounts were
    created (0 or 1)."""
    compound = Compound.objects.order_by("code").first()
    if compound is None or User.objects.filter(username=GUARD_USERNAME).exists():
        return 0
    guard = User.objects.create(
        username=GUARD_USERNAME,
        first_name="王保安",
        role=User.Role.GATE_GUARD,
        phone="13900000099",
        password=password_hash,
    )
    compound.guards.add(guard)
    return 1

"""Who reads the statistics: street officials (read only), dispatchers and administrators."""

from typing import Any

from accounts.models import User

READER_ROLES = frozenset({User.Role.OFFICIAL, User.Role.DISPATCHER, User.Role.ADMIN})


def reads_statistics(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.role in READER_ROLES))


def acts_on_scenes(user: Any) -> bool:
    """Tuning, limiting or retiring a scene is the administrator's."""
    return bool(
        user.is_authenticated and user.is_active and (user.is_superuser or user.role == User.Role.ADMIN)
    )

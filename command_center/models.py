# Where cases and devices still import the user model from during the move to accounts (removed with it).
from accounts.models import Department, User

__all__ = ["Department", "User"]

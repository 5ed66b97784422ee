"""Personal data protection (个人信息保护法, GB/T 35273 display restriction), the ground floor every app uses.

- Masking happens on the server: `mask_name` 张*华, `mask_phone` 138****5678, `mask_id_number` 3101…12.
  Which role may ask for an unmasked value at all is the table UNMASKABLE; asking always needs a reason,
  and every unmasked read writes a PersonalDataAccess row (`log_unmasked_read`).
- ID numbers are stored encrypted (Fernet; several keys for rotation, MultiFernet) and found only by a
  keyed hash (HMAC-SHA256), so the database alone reveals neither the number nor a guessable digest.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from .models import PersonalDataAccess, User

NAME = "name"
PHONE = "phone"
ID_NUMBER = "id_number"
FIELDS = (NAME, PHONE, ID_NUMBER)

# Who may ask to see a field unmasked (with a reason, logged): the people who call, visit and register
# residents. Handlers and street officials work on cases and statistics: masked values serve them.
UNMASKABLE: dict[str, frozenset[str]] = {
    User.Role.DISPATCHER: frozenset({NAME, PHONE}),
    User.Role.GRID_WORKER: frozenset({NAME, PHONE, ID_NUMBER}),
    User.Role.HANDLER: frozenset(),
    User.Role.OFFICIAL: frozenset(),
    User.Role.ADMIN: frozenset({NAME, PHONE, ID_NUMBER}),
}


class PrivacyError(Exception):
    """An unmasked read that may not happen: no reason, or a role that may not see the field."""

    def __init__(self, message: object, status_code: int) -> None:
        super().__init__(str(message))
        self.message = message
        self.status_code = status_code


def mask_name(name: str) -> str:
    """张*华 for three characters and more (every middle character starred), 张* for two."""
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


def mask_phone(phone: str) -> str:
    """138****5678: the first 3 and the last 4 digits of a mobile number; short numbers keep the last 2."""
    phone = phone.strip()
    if len(phone) >= 11:
        return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
    if len(phone) > 2:
        return f"{'*' * (len(phone) - 2)}{phone[-2:]}"
    return "*" * len(phone)


def mask_id_number(id_number: str) -> str:
    """3101************12: the first 4 and the last 2 characters (GB/T 35273 display restriction)."""
    id_number = id_number.strip()
    if len(id_number) <= 6:
        return "*" * len(id_number)
    return f"{id_number[:4]}{'*' * (len(id_number) - 6)}{id_number[-2:]}"


MASKS = {NAME: mask_name, PHONE: mask_phone, ID_NUMBER: mask_id_number}


def mask(field: str, value: str) -> str:
    return MASKS[field](value or "")


def may_unmask(user: User, field: str) -> bool:
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return field in UNMASKABLE.get(user.role, frozenset())


def check_unmasked_read(user: User, fields: tuple[str, ...], reason: str) -> None:
    """Raise PrivacyError unless `user` may read every one of `fields` unmasked and said why."""
    if unmaskable_fields(user, fields, reason) != tuple(fields):
        raise PrivacyError(_("Your role may not read personal data unmasked."), 403)


def unmaskable_fields(user: User, fields: tuple[str, ...], reason: str) -> tuple[str, ...]:
    """Of `fields`, those `user` may read unmasked, having said why: PrivacyError without a reason (400)
    or when the role may read none of them (403). The others stay masked."""
    if not reason.strip():
        raise PrivacyError(_("Say why you need the unmasked values (parameter reason)."), 400)
    allowed = tuple(field for field in fields if may_unmask(user, field))
    if not allowed:
        raise PrivacyError(_("Your role may not read personal data unmasked."), 403)
    return allowed


def log_unmasked_read(user: User, obj: Model, field: str, reason: str) -> PersonalDataAccess:
    """The access-log row of one unmasked read (who, what, when, why)."""
    return PersonalDataAccess.objects.create(
        user=user,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_label=str(obj)[:200],
        field=field,
        reason=reason.strip()[:500],
    )


def log_export(user: User, what: str, rows: int, reason: str) -> PersonalDataAccess:
    """An export of personal data is an unmasked read of many rows: one row for the file."""
    return PersonalDataAccess.objects.create(
        user=user,
        object_type=what,
        object_id="",
        object_label=f"{rows} rows"[:200],
        field=PersonalDataAccess.EXPORT,
        reason=reason.strip()[:500],
    )


def _derived_key(purpose: str) -> bytes:
    """A development key from SECRET_KEY (the check accounts.W001 warns in production)."""
    return hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()


@cache
def _fernet(keys: str, secret_key: str) -> MultiFernet:
    if keys:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])
    return MultiFernet([Fernet(base64.urlsafe_b64encode(_derived_key("personal-data-fernet")))])


def fernet() -> MultiFernet:
    return _fernet(settings.PERSONAL_DATA_KEY, settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:  # a key removed too early: say so instead of returning garbage
        raise ValueError("personal data encrypted with a key that is no longer configured") from error


def reencrypt(token: str) -> str:
    """The token under the newest key (key rotation: docs/deploy.md)."""
    return fernet().rotate(token.encode()).decode() if token else ""


def lookup_hash(value: str) -> str:
    """The keyed hash an exact search compares: HMAC-SHA256 of the normalized value, hex."""
    normalized = value.strip().upper()
    if not normalized:
        return ""
    configured = settings.PERSONAL_DATA_HASH_KEY
    key = configured.encode() if configured else _derived_key("personal-data-hash")
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()

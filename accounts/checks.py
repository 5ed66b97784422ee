"""System checks of the accounts app."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def personal_data_keys(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Production keeps the personal-data keys apart from SECRET_KEY, so rotating one leaves the other."""
    names = ("PERSONAL_DATA_KEY", "PERSONAL_DATA_HASH_KEY")
    missing = [name for name in names if not getattr(settings, name)]
    if not missing:
        return []
    return [
        Warning(
            f"{', '.join(missing)} not set: personal data is encrypted and hashed with keys derived from "
            "SECRET_KEY.",
            hint="Set them in the environment (docs/deploy.md, 'Personal data keys').",
            id="accounts.W001",
        )
    ]

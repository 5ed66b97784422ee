from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .auth import is_locked_out, lockout_minutes


class LockoutAuthenticationForm(AuthenticationForm):
    """Django's login form that says plainly when an account is locked."""

    def clean(self):  # type: ignore[no-untyped-def]
        username = self.cleaned_data.get("username")
        if username and is_locked_out(username):
            raise forms.ValidationError(
                _("Too many failed logins. This account is locked for %(minutes)s minutes.")
                % {"minutes": lockout_minutes()},
                code="locked",
            )
        return super().clean()

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from .auth import client_address, login_refusal


class LockoutAuthenticationForm(AuthenticationForm):
    """Django's login form that says plainly when a login is locked (command_center/auth.py)."""

    def clean(self):  # type: ignore[no-untyped-def]
        username = self.cleaned_data.get("username")
        if username:
            refusal = login_refusal(username, client_address(self.request))
            if refusal is not None:
                raise forms.ValidationError(refusal, code="locked")
        return super().clean()


class LockoutAdminAuthenticationForm(LockoutAuthenticationForm, AdminAuthenticationForm):
    """The admin's login form, saying so too (the backend refuses a locked login either way)."""

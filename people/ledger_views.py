"""The ledgers page: upload a file, see the preview with each row's errors, confirm; export with a reason.

The previewed file waits in VAR_DIR/people-imports under a random token kept in the uploader's session,
so the confirmed import is the very file that was previewed."""

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import privacy
from accounts.models import User

from . import ledgers
from .forms import ExportForm, ImportForm

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
SESSION_KEY = "people_ledger_imports"
# What an export of each ledger holds unmasked: the role must be allowed to read all of it.
EXPORT_FIELDS = {
    "households": privacy.FIELDS,
    "rentals": (privacy.NAME, privacy.PHONE),
    "shops": (privacy.NAME, privacy.PHONE),
    "care-persons": privacy.FIELDS,
}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _waiting_dir() -> Path:
    path = Path(settings.VAR_DIR) / "people-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


@login_required
@require_http_methods(["GET", "POST"])
def ledger_page(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    if action == "preview":
        return _preview(request)
    if action == "confirm":
        return _confirm(request)
    if action == "export":
        return _export(request)
    return render(request, "people/ledgers.html", {"import_form": ImportForm(), "export_form": ExportForm()})


def _preview(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    context = {"import_form": form, "export_form": ExportForm()}
    if not form.is_valid():
        return render(request, "people/ledgers.html", context, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_UPLOAD_BYTES:
        form.add_error("file", _("The file is larger than 20 MB."))
        return render(request, "people/ledgers.html", context, status=400)
    content, file_format, code = upload.read(), form.file_format(), form.cleaned_data["ledger"]
    try:
        result = ledgers.import_ledger(
            code=code, content=content, file_format=file_format, user=_user(request), commit=False
        )
    except ledgers.LedgerError as error:
        form.add_error("file", str(error))
        return render(request, "people/ledgers.html", context, status=400)
    token = ""
    if result.ok:
        token = secrets.token_urlsafe(16)
        (_waiting_dir() / token).write_bytes(content)
        request.session[SESSION_KEY] = {**request.session.get(SESSION_KEY, {}), token: [code, file_format]}
    return render(request, "people/ledgers.html", {**context, "result": result, "token": token})


def _confirm(request: HttpRequest) -> HttpResponse:
    token = request.POST.get("token", "")
    waiting = request.session.get(SESSION_KEY, {})
    path = _waiting_dir() / token
    if token not in waiting or not token.replace("-", "").replace("_", "").isalnum() or not path.exists():
        messages.error(request, _("That preview has expired: upload the file again."))
        return HttpResponseRedirect(reverse("people-ledgers"))
    code, file_format = waiting.pop(token)
    request.session[SESSION_KEY] = waiting
    content = path.read_bytes()
    path.unlink(missing_ok=True)
    result = ledgers.import_ledger(
        code=code, content=content, file_format=file_format, user=_user(request), commit=True
    )
    if result.imported:
        messages.success(request, _("%(n)s rows imported.") % {"n": len(result.done)})
        return HttpResponseRedirect(reverse("people-ledgers"))
    context = {"import_form": ImportForm(), "export_form": ExportForm(), "result": result}
    return render(request, "people/ledgers.html", context, status=400)


def _export(request: HttpRequest) -> HttpResponse:
    form = ExportForm(request.POST)
    if not form.is_valid():
        return render(
            request, "people/ledgers.html", {"import_form": ImportForm(), "export_form": form}, status=400
        )
    code, file_format, reason = (form.cleaned_data[name] for name in ("ledger", "file_format", "reason"))
    user = _user(request)
    if not all(privacy.may_unmask(user, kind) for kind in EXPORT_FIELDS[code]):
        return HttpResponse(
            _("Your role may not export personal data."), status=403, content_type="text/plain"
        )
    content, rows = ledgers.export_ledger(code=code, user=user, file_format=file_format)
    privacy.log_export(user, f"ledger:{code}", rows, reason)
    name = f"{code}-{timezone.localtime():%Y%m%d-%H%M}.{file_format}"
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response

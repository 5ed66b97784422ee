"""Forms of the people pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import services
from .ledgers import FORMATS, LEDGERS


class VisitForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo = forms.ImageField(label=_("Photo"), required=False)
    # Filled by people/static/people/visit.js from the phone's position (Geolocation API).
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    accuracy = forms.FloatField(required=False, min_value=0, widget=forms.HiddenInput)

    def visit_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        position = None
        if data.get("lat") is not None and data.get("lng") is not None:
            position = services.Position(lat=data["lat"], lng=data["lng"], accuracy=data.get("accuracy"))
        return {"position": position, "note": data.get("note", ""), "photo": data.get("photo")}


LEDGER_CHOICES = [(code, ledger.title) for code, ledger in LEDGERS.items()]
FORMAT_CHOICES = [(code, code.upper()) for code in FORMATS]


class ImportForm(forms.Form):
    ledger = forms.ChoiceField(label=_("Ledger"), choices=LEDGER_CHOICES)
    file = forms.FileField(label=_("File (XLSX or CSV)"))

    def file_format(self) -> str:
        name = self.cleaned_data["file"].name.lower()
        return "csv" if name.endswith(".csv") else "xlsx"


class ExportForm(forms.Form):
    ledger = forms.ChoiceField(label=_("Ledger"), choices=LEDGER_CHOICES)
    file_format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES)
    reason = forms.CharField(label=_("Reason (written to the access log)"), max_length=500)

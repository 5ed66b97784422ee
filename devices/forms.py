"""Admin forms: a Leaflet map to place a point by clicking (no GeoDjango), and the CSV upload."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from grids.models import Compound, Grid

from .models import SensorPoint


class PointMapWidget(forms.NumberInput):
    """The latitude input plus a Leaflet map: a click (or dragging the marker) fills latitude and
    longitude in WGS84. Grid and compound boundaries are drawn so the map helps without tiles."""

    template_name = "devices/widgets/point_map.html"

    def __init__(self, *, lng_field: str = "lng", attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"step": "any", **(attrs or {})})
        self.lng_field = lng_field

    class Media:
        css = {"all": ["leaflet/leaflet.css"]}
        js = ["leaflet/leaflet.js", "devices/point_map.js"]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        centre = settings.LEAFLET_CONFIG.get("DEFAULT_CENTER", (31.27, 121.48))
        widget_id = context["widget"]["attrs"].get("id", name)
        context["map"] = {
            "areas_id": f"{widget_id}_areas",
            "lng_id": f"id_{self.lng_field}",
            "tiles": settings.MAP_TILES_URL,
            "crs": settings.MAP_TILES_CRS,
            "centre": list(centre),
            "zoom": settings.LEAFLET_CONFIG.get("DEFAULT_ZOOM", 15),
            "areas": {
                "grids": [
                    {"name": n, "boundary": b} for n, b in Grid.objects.values_list("name", "boundary")
                ],
                "compounds": [
                    {"name": n, "boundary": b} for n, b in Compound.objects.values_list("name", "boundary")
                ],
            },
        }
        return context


# Django's ModelForm is generic only in the type stubs (not subscriptable at run time).
if TYPE_CHECKING:
    ModelForm = forms.ModelForm[SensorPoint]
else:
    ModelForm = forms.ModelForm


class SensorPointAdminForm(ModelForm):
    class Meta:
        model = SensorPoint
        fields = [
            "code",
            "scene",
            "status",
            "installed_on",
            "department",
            "lat",
            "lng",
            "grid",
            "compound",
            "building",
            "threshold",
            "acoustic_zone",
            "heartbeat_interval",
        ]
        widgets = {"lat": PointMapWidget(lng_field="lng"), "lng": forms.NumberInput(attrs={"step": "any"})}
        help_texts = {
            "grid": _("Empty: assigned from the location."),
            "compound": _("Empty: assigned from the location."),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        scene = cleaned.get("scene")
        if scene is not None:
            if scene.retired_at is not None and (
                self.instance.pk is None or self.instance.scene_id != scene.pk
            ):
                self.add_error("scene", _("This scene is retired and takes no new points."))
            cleaned["sensor_type"] = scene.sensor_type
            self.instance.sensor_type = scene.sensor_type
        return cleaned


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, header row code,type,lat,lng (required) and scene, grid, compound, status, installed_on, "
            "heartbeat_interval, threshold, acoustic_zone (optional). All rows or none are imported."
        ),
    )

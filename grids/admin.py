from django.contrib import admin

from .models import Building, Community, Compound, District, DutyShift, Grid, Street


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin[District]):
    list_display = ["code", "name"]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin[Street]):
    list_display = ["code", "name", "district", "leader"]
    filter_horizontal = ["officials"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin[Community]):
    list_display = ["code", "name", "street", "secretary"]
    list_filter = ["street"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin[Grid]):
    list_display = ["code", "name", "community", "centre_lat", "centre_lng"]
    list_filter = ["community"]
    search_fields = ["code", "name"]
    filter_horizontal = ["workers"]


@admin.register(Compound)
class CompoundAdmin(admin.ModelAdmin[Compound]):
    list_display = ["code", "name", "community", "grid", "property_company"]
    list_filter = ["community"]
    search_fields = ["code", "name", "address"]
    raw_id_fields = ["grid", "property_company"]
    filter_horizontal = ["guards"]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin[Building]):
    list_display = ["name", "compound", "lat", "lng"]
    raw_id_fields = ["compound"]


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin[DutyShift]):
    list_display = ["duty", "user", "grid", "starts_at", "ends_at"]
    list_filter = ["duty", "grid"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["user", "grid"]

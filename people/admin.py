"""The registry of people and places for administrators. Person lists show masked names; the ID number
is typed in a form field and stored encrypted, never shown here."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import privacy

from .models import (
    BuildingUnit,
    CareCategory,
    CarePerson,
    Contact,
    Flat,
    Household,
    Person,
    Rental,
    Shop,
    ShopInspection,
    ShopStaff,
    Visit,
)


@admin.register(BuildingUnit)
class BuildingUnitAdmin(admin.ModelAdmin[BuildingUnit]):
    list_display = ["building", "name"]
    search_fields = ["building__name", "building__compound__name"]
    raw_id_fields = ["building"]


@admin.register(Flat)
class FlatAdmin(admin.ModelAdmin[Flat]):
    list_display = ["unit", "room_number", "floor", "area_m2", "use"]
    list_filter = ["use"]
    search_fields = ["room_number", "unit__building__name"]
    raw_id_fields = ["unit"]


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin[Household]):
    list_display = ["flat", "number", "registered"]
    raw_id_fields = ["flat"]


class PersonForm(forms.ModelForm[Person]):
    new_id_number = forms.CharField(
        label=_("ID number"), required=False, max_length=18,
        help_text=_("Stored encrypted. Leave empty to keep the stored one."),
    )  # fmt: skip

    class Meta:
        model = Person
        fields = ["household", "name", "phone", "relation", "birth_year"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin[Person]):
    form = PersonForm
    list_display = ["masked_name", "masked_phone", "household", "relation"]
    raw_id_fields = ["household"]

    @admin.display(description=_("name"))
    def masked_name(self, person: Person) -> str:
        return privacy.mask_name(person.name)

    @admin.display(description=_("phone"))
    def masked_phone(self, person: Person) -> str:
        return privacy.mask_phone(person.phone)

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        if form.cleaned_data.get("new_id_number"):
            obj.set_id_number(form.cleaned_data["new_id_number"])
        super().save_model(request, obj, form, change)


@admin.register(Rental)
class RentalAdmin(admin.ModelAdmin[Rental]):
    list_display = ["flat", "tenant_count", "lease_start", "lease_end"]
    date_hierarchy = "lease_end"
    raw_id_fields = ["flat"]


class ShopStaffInline(admin.TabularInline[ShopStaff, Shop]):
    model = ShopStaff
    extra = 0


class ShopInspectionInline(admin.TabularInline[ShopInspection, Shop]):
    model = ShopInspection
    extra = 0
    raw_id_fields = ["inspector"]


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin[Shop]):
    list_display = ["name", "business", "grid", "licence_number", "licence_expiry"]
    list_filter = ["business", "grid"]
    search_fields = ["name", "licence_number", "address"]
    raw_id_fields = ["compound"]
    inlines = [ShopStaffInline, ShopInspectionInline]


@admin.register(CareCategory)
class CareCategoryAdmin(admin.ModelAdmin[CareCategory]):
    list_display = ["name", "code", "visit_interval_days", "sort_order"]
    list_editable = ["visit_interval_days", "sort_order"]


class ContactInline(admin.TabularInline[Contact, CarePerson]):
    model = Contact
    extra = 0


@admin.register(CarePerson)
class CarePersonAdmin(admin.ModelAdmin[CarePerson]):
    list_display = ["person", "worker", "active"]
    list_filter = ["categories", "active"]
    raw_id_fields = ["person", "worker"]
    filter_horizontal = ["categories"]
    inlines = [ContactInline]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin[Visit]):
    list_display = ["care_person", "visitor", "visited_at", "place_checked"]
    list_filter = ["place_checked"]
    date_hierarchy = "visited_at"
    raw_id_fields = ["care_person", "visitor"]

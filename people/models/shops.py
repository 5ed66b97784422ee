"""Shops and units (实有单位): licence, door photo, staff health certificates, 门前三包 pledge, safety
responsibility letter, inspections."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grids.models import Compound, Grid


class Shop(models.Model):
    grid = models.ForeignKey(Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="shops")
    compound = models.ForeignKey(
        Compound, verbose_name=_("compound"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="shops",
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=100)
    business = models.CharField(_("business"), max_length=50, blank=True)  # 餐饮, 便利店, 理发...
    address = models.CharField(_("address"), max_length=200)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    licence_number = models.CharField(_("business licence number"), max_length=30, blank=True)
    licence_expiry = models.DateField(_("licence expiry"), null=True, blank=True)
    door_photo = models.ImageField(_("door photo"), upload_to="people/shops/%Y/", blank=True)
    pledge_file = models.FileField(_("门前三包 pledge"), upload_to="people/shops/%Y/", blank=True)
    safety_letter_file = models.FileField(
        _("safety responsibility letter"), upload_to="people/shops/%Y/", blank=True
    )

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["licence_expiry"], name="people_shop_licence_expiry")]
        verbose_name = _("shop")
        verbose_name_plural = _("shops")

    def __str__(self) -> str:
        return self.name


class ShopStaff(models.Model):
    shop = models.ForeignKey(Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="staff")
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    health_certificate_number = models.CharField(_("health certificate number"), max_length=40, blank=True)
    health_certificate_expiry = models.DateField(_("health certificate expiry"), null=True, blank=True)

    class Meta:
        ordering = ["shop", "id"]
        indexes = [models.Index(fields=["health_certificate_expiry"], name="people_staff_cert_expiry")]
        verbose_name = _("shop staff member")
        verbose_name_plural = _("shop staff")

    def __str__(self) -> str:
        return f"{self.shop} #{self.pk}"


class ShopInspection(models.Model):
    class Result(models.TextChoices):
        PASSED = "passed", _("Passed")
        RECTIFY = "rectify", _("To rectify")
        FAILED = "failed", _("Failed")

    shop = models.ForeignKey(
        Shop, verbose_name=_("shop"), on_delete=models.CASCADE, related_name="inspections"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    inspected_at = models.DateTimeField(_("inspected at"))
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    note = models.TextField(_("note"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="people/inspections/%Y/", blank=True)

    class Meta:
        ordering = ["-inspected_at", "-id"]
        verbose_name = _("shop inspection")
        verbose_name_plural = _("shop inspections")

    def __str__(self) -> str:
        return f"{self.shop} {self.inspected_at:%Y-%m-%d} {self.get_result_display()}"

"""Places and time of the operation: kecamatan, kelurahan, election phases, polling stations."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_in_city(lat: float | None, lon: float | None) -> None:
    """Reject a point outside Kota Metro's bounding box (a typo, or the wrong city)."""
    if lat is None or lon is None:
        return
    b = settings.CITY_BOUNDS
    if not (b["south"] <= lat <= b["north"] and b["west"] <= lon <= b["east"]):
        raise ValidationError(
            _("Koordinat %(lat).5f, %(lon).5f di luar wilayah Kota Metro."),
            params={"lat": lat, "lon": lon},
            code="outside_city",
        )


class Kecamatan(models.Model):
    name = models.CharField(_("nama"), max_length=64, unique=True)
    code = models.SlugField(_("kode"), max_length=32, unique=True)
    lat = models.FloatField(_("lintang"))
    lon = models.FloatField(_("bujur"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("kecamatan")
        verbose_name_plural = _("kecamatan")

    def __str__(self) -> str:
        return self.name


class Kelurahan(models.Model):
    kecamatan = models.ForeignKey(
        Kecamatan, on_delete=models.PROTECT, related_name="kelurahan", verbose_name=_("kecamatan")
    )
    name = models.CharField(_("nama"), max_length=64, unique=True)
    code = models.SlugField(_("kode"), max_length=32, unique=True)
    lat = models.FloatField(_("lintang"))
    lon = models.FloatField(_("bujur"))

    class Meta:
        ordering = ["kecamatan__name", "name"]
        verbose_name = _("kelurahan")
        verbose_name_plural = _("kelurahan")

    def __str__(self) -> str:
        return self.name


class ElectionPhase(models.Model):
    """A stage of the election timetable (PKPU 3/2022); risk differs by phase."""

    code = models.SlugField(_("kode"), max_length=32, unique=True)
    name = models.CharField(_("nama"), max_length=64)
    starts_at = models.DateTimeField(_("mulai"))
    ends_at = models.DateTimeField(_("selesai"))
    risk_weight = models.FloatField(
        _("bobot risiko"),
        default=1.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(3.0)],
        help_text=_("1 = biasa; hari pemungutan, penghitungan dan penetapan lebih tinggi."),
    )

    class Meta:
        ordering = ["starts_at", "code"]
        verbose_name = _("tahapan pemilu")
        verbose_name_plural = _("tahapan pemilu")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")),
                name="phase_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class TpsCategory(models.TextChoices):
    KURANG_RAWAN = "kurang_rawan", _("kurang rawan")
    RAWAN = "rawan", _("rawan")
    SANGAT_RAWAN = "sangat_rawan", _("sangat rawan")


class TpsStatus(models.TextChoices):
    BELUM_DIBUKA = "belum_dibuka", _("belum dibuka")
    DIBUKA = "dibuka", _("dibuka")
    PEMUNGUTAN = "pemungutan", _("pemungutan berjalan")
    PENGHITUNGAN = "penghitungan", _("penghitungan")
    SELESAI = "selesai", _("selesai")
    DIKIRIM = "dikirim", _("kotak suara dikirim ke PPK")


class Tps(models.Model):
    """A polling station (Tempat Pemungutan Suara)."""

    kelurahan = models.ForeignKey(
        Kelurahan, on_delete=models.PROTECT, related_name="tps", verbose_name=_("kelurahan")
    )
    number = models.PositiveSmallIntegerField(_("nomor"))
    address = models.CharField(_("alamat"), max_length=255, blank=True)
    lat = models.FloatField(_("lintang"))
    lon = models.FloatField(_("bujur"))
    dpt = models.PositiveIntegerField(_("DPT"), help_text=_("jumlah pemilih terdaftar"))
    is_khusus = models.BooleanField(_("TPS khusus"), default=False)
    khusus_kind = models.CharField(
        _("jenis TPS khusus"), max_length=64, blank=True, help_text=_("lapas, rumah sakit, ...")
    )
    category = models.CharField(
        _("kategori kerawanan"),
        max_length=16,
        choices=TpsCategory.choices,
        default=TpsCategory.KURANG_RAWAN,
        db_index=True,
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TpsStatus.choices, default=TpsStatus.BELUM_DIBUKA
    )

    class Meta:
        ordering = ["kelurahan__name", "number"]
        verbose_name = _("TPS")
        verbose_name_plural = _("TPS")
        constraints = [
            models.UniqueConstraint(fields=["kelurahan", "number"], name="tps_unique_number")
        ]

    def __str__(self) -> str:
        return f"TPS {self.number:03d} {self.kelurahan.name}"

    def clean(self) -> None:
        validate_in_city(self.lat, self.lon)

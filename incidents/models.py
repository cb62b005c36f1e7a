"""Incidents reported from the field and alerts raised for the command post.

The foundation holds what the summary and the live channel need; the incidents and
early-warning issues build the full workflow on these tables.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CrowdColour(models.TextChoices):
    """Crowd situation of Perkap 16/2006."""

    HIJAU = "hijau", _("hijau (tertib)")
    KUNING = "kuning", _("kuning (tidak tertib)")
    MERAH = "merah", _("merah (melanggar hukum)")


class IncidentType(models.TextChoices):
    UNJUK_RASA = "unjuk_rasa", _("unjuk rasa")
    BENTROK = "bentrok", _("bentrok antar pendukung")
    INTIMIDASI = "intimidasi", _("intimidasi")
    POLITIK_UANG = "politik_uang", _("politik uang")
    PERUSAKAN = "perusakan", _("perusakan APK/logistik")
    PENGHADANGAN = "penghadangan", _("penghadangan logistik")
    HOAKS = "hoaks", _("hoaks/ujaran kebencian")
    GANGGUAN_TPS = "gangguan_tps", _("gangguan di TPS")
    KECELAKAAN = "kecelakaan", _("kecelakaan")
    LAINNYA = "lainnya", _("lainnya")


class IncidentStatus(models.TextChoices):
    BARU = "baru", _("baru")
    DIVERIFIKASI = "diverifikasi", _("diverifikasi")
    DITOLAK = "ditolak", _("ditolak")
    DITANGANI = "ditangani", _("ditangani")
    SELESAI = "selesai", _("selesai")


OPEN_INCIDENT_STATUSES = (
    IncidentStatus.BARU,
    IncidentStatus.DIVERIFIKASI,
    IncidentStatus.DITANGANI,
)


class Incident(models.Model):
    type = models.CharField(_("jenis"), max_length=24, choices=IncidentType.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=IncidentStatus.choices,
        default=IncidentStatus.BARU,
        db_index=True,
    )
    colour = models.CharField(
        _("situasi massa"), max_length=8, choices=CrowdColour.choices, default=CrowdColour.HIJAU
    )
    occurred_at = models.DateTimeField(_("waktu kejadian"))
    reported_at = models.DateTimeField(_("waktu lapor"), auto_now_add=True, db_index=True)
    kelurahan = models.ForeignKey(
        "operations.Kelurahan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("kelurahan"),
    )
    tps = models.ForeignKey(
        "operations.Tps",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("TPS"),
    )
    lat = models.FloatField(_("lintang"), null=True, blank=True)
    lon = models.FloatField(_("bujur"), null=True, blank=True)
    description = models.TextField(_("uraian"))
    crowd_size = models.PositiveIntegerField(_("jumlah massa"), null=True, blank=True)
    casualties = models.PositiveIntegerField(_("korban"), default=0)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="incidents_reported",
        verbose_name=_("pelapor"),
    )
    is_exercise = models.BooleanField(_("latihan"), default=False, db_index=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("kejadian")
        verbose_name_plural = _("kejadian")

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_type_display()}"


class AlertLevel(models.TextChoices):
    HIJAU = "hijau", _("hijau")
    KUNING = "kuning", _("kuning")
    MERAH = "merah", _("merah")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("terbuka")
    ACKNOWLEDGED = "acknowledged", _("diterima")
    ESCALATED = "escalated", _("dieskalasi")
    CLOSED = "closed", _("ditutup")


OPEN_ALERT_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.ESCALATED)


class Alert(models.Model):
    """A warning for the command post: a merah/kuning report or a surge in a kelurahan."""

    class Kind(models.TextChoices):
        REPORT = "report", _("laporan")
        SURGE = "surge", _("lonjakan laporan")

    kind = models.CharField(_("jenis"), max_length=16, choices=Kind.choices)
    level = models.CharField(_("tingkat"), max_length=8, choices=AlertLevel.choices)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AlertStatus.choices,
        default=AlertStatus.OPEN,
        db_index=True,
    )
    title = models.CharField(_("judul"), max_length=200)
    reasons = models.JSONField(_("alasan"), default=list, blank=True)
    kelurahan = models.ForeignKey(
        "operations.Kelurahan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("kelurahan"),
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)
    is_exercise = models.BooleanField(_("latihan"), default=False, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("peringatan")
        verbose_name_plural = _("peringatan")

    def __str__(self) -> str:
        return f"[{self.level}] {self.title}"

"""Incidents reported from the field, the command post's response to them (timeline, dispatch,
use of force, Gakkumdu referrals, photos), TPS returns, and alerts."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel

# The longest Idempotency-Key a client may send (incidents/idempotency.py refuses longer).
IDEMPOTENCY_KEY_MAX = 80


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


class ControlLevel(models.TextChoices):
    """Who holds control of the response (Perkap 16/2006: it moves up as the crowd worsens)."""

    KAPOLSEK = "kapolsek", _("Kapolsek")
    KAPOLRES = "kapolres", _("Kapolres")
    KAPOLDA = "kapolda", _("Kapolda")


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
    post = models.ForeignKey(
        "operations.Post",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("pos"),
    )
    outside_city = models.BooleanField(_("di luar kota"), default=False)
    # The client's key for this submission (Idempotency-Key); a retry returns the first result.
    # Unique per reporter (Meta.constraints): two phones may make the same key. NULL, not "",
    # is "no key" (exercise and demo rows): the partial unique index leaves those out.
    idempotency_key = models.CharField(  # noqa: DJ001
        max_length=IDEMPOTENCY_KEY_MAX, null=True, blank=True
    )
    request_hash = models.CharField(max_length=64, blank=True)
    verify_due_at = models.DateTimeField(_("batas verifikasi"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("terlambat sejak"), null=True, blank=True)
    rejected_reason = models.CharField(_("alasan ditolak"), max_length=255, blank=True)
    control = models.CharField(
        _("kendali"), max_length=10, choices=ControlLevel.choices, default=ControlLevel.KAPOLSEK
    )
    first_on_scene_at = models.DateTimeField(_("pertama tiba"), null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("kejadian")
        verbose_name_plural = _("kejadian")
        indexes = [models.Index(fields=["status", "verify_due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="incident_key_per_reporter",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_type_display()}"

    @property
    def response_seconds(self) -> int | None:
        """On scene minus reported: the response time the command post is judged by."""
        if self.first_on_scene_at is None:
            return None
        return int((self.first_on_scene_at - self.reported_at).total_seconds())

    def verify_late(self, now=None) -> bool:
        """Still new past its verification time (incidents.selectors.incident_overdue_q)."""
        now = now or timezone.now()
        return (
            self.status == IncidentStatus.BARU
            and self.verify_due_at is not None
            and self.verify_due_at < now
        )

    @property
    def is_verify_late(self) -> bool:
        return self.verify_late()


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
        INCIDENT_OVERDUE = "incident_overdue", _("kejadian belum diverifikasi")
        TPS_OVERDUE = "tps_overdue", _("laporan TPS terlambat")
        BACKUP = "backup", _("personel butuh bantuan")
        LOG_OVERDUE = "log_overdue", _("logistik terlambat tiba")
        LOG_STOPPED = "log_stopped", _("logistik terhenti di jalan")
        LOG_MISMATCH = "log_mismatch", _("selisih serah terima logistik")
        LOG_NO_ESCORT = "log_no_escort", _("logistik tanpa pengawalan")

    # Kinds a summary lists only when one was raised (a city without ballots under escort
    # keeps its alert tables as they were).
    OPTIONAL_KINDS = frozenset(
        {Kind.LOG_OVERDUE, Kind.LOG_STOPPED, Kind.LOG_MISMATCH, Kind.LOG_NO_ESCORT}
    )

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
    # One open alert per place and kind: raising it again updates that alert (see services).
    dedup_key = models.CharField(max_length=120, blank=True, db_index=True)
    scores = models.ManyToManyField(
        "EwScore", blank=True, related_name="alerts", verbose_name=_("laporan")
    )
    acknowledged_at = models.DateTimeField(_("diterima pada"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diterima oleh"),
    )
    escalation = models.PositiveSmallIntegerField(
        _("tingkat eskalasi"),
        default=0,
        help_text=_("0 pos komando, 1 Kabag Ops, 2 Kapolres, 3 Kapolda"),
    )
    ack_overdue_at = models.DateTimeField(_("terlambat diterima sejak"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ditutup pada"), null=True, blank=True)
    outcome = models.TextField(_("hasil"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("peringatan")
        verbose_name_plural = _("peringatan")

    def __str__(self) -> str:
        return f"[{self.level}] {self.title}"


class IncidentEvent(AppendOnlyModel):
    """One step of an incident's timeline: who did what, when (never changed or deleted)."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="events", verbose_name=_("kejadian")
    )
    at = models.DateTimeField(_("waktu"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oleh"),
    )
    kind = models.CharField(_("jenis"), max_length=24)
    from_value = models.CharField(_("dari"), max_length=64, blank=True)
    to_value = models.CharField(_("menjadi"), max_length=64, blank=True)
    note = models.TextField(_("catatan"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("riwayat kejadian")
        verbose_name_plural = _("riwayat kejadian")

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}"


class Dispatch(models.Model):
    """An officer sent to an incident, with the times of each step of his response."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="dispatches", verbose_name=_("kejadian")
    )
    officer = models.ForeignKey(
        "personnel.Officer",
        on_delete=models.PROTECT,
        related_name="dispatches",
        verbose_name=_("personel"),
    )
    dispatched_at = models.DateTimeField(_("diberangkatkan"), auto_now_add=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    en_route_at = models.DateTimeField(_("dalam perjalanan"), null=True, blank=True)
    on_scene_at = models.DateTimeField(_("tiba di lokasi"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("selesai"), null=True, blank=True)
    # The phone's own time of each step the officer reported himself (POST
    # /api/v1/dispatches/{id}/progress/); the columns above hold the server's time then.
    en_route_phone_at = models.DateTimeField(_("berangkat (jam ponsel)"), null=True, blank=True)
    on_scene_phone_at = models.DateTimeField(_("tiba (jam ponsel)"), null=True, blank=True)
    cleared_phone_at = models.DateTimeField(_("selesai (jam ponsel)"), null=True, blank=True)

    class Meta:
        ordering = ["dispatched_at", "id"]
        verbose_name = _("pengerahan")
        verbose_name_plural = _("pengerahan")
        constraints = [
            models.UniqueConstraint(fields=["incident", "officer"], name="one_dispatch_per_officer")
        ]

    def __str__(self) -> str:
        return f"{self.officer_id} -> {self.incident_id}"


class UseOfForce(AppendOnlyModel):
    """A use of force (Perkap 1/2009, stages 1-6): appended, never edited or deleted."""

    class Stage(models.IntegerChoices):
        PRESENCE = 1, _("1 kehadiran (pencegahan)")
        VERBAL = 2, _("2 perintah lisan")
        SOFT = 3, _("3 kendali tangan kosong lunak")
        HARD = 4, _("4 kendali tangan kosong keras")
        BLUNT_CHEMICAL = 5, _("5 senjata tumpul atau kimia (gas air mata)")
        FIREARM = 6, _("6 senjata api")

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="force_log", verbose_name=_("kejadian")
    )
    at = models.DateTimeField(_("dicatat"), auto_now_add=True)
    used_at = models.DateTimeField(_("waktu penggunaan"))
    stage = models.PositiveSmallIntegerField(
        _("tahap"),
        choices=Stage.choices,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )
    justification = models.TextField(_("dasar/alasan"))
    officers = models.TextField(_("personel yang menggunakan"), blank=True)
    authorised_by = models.CharField(_("diizinkan oleh"), max_length=160, blank=True)
    threat = models.TextField(_("ancaman yang dihadapi"), blank=True)
    injuries = models.TextField(_("korban luka"), blank=True)
    follow_up = models.TextField(_("tindak lanjut"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dicatat oleh"),
    )

    class Meta:
        ordering = ["used_at", "id"]
        verbose_name = _("penggunaan kekuatan")
        verbose_name_plural = _("penggunaan kekuatan")

    def __str__(self) -> str:
        return f"{self.incident_id} tahap {self.stage}"


class GakkumduReferral(models.Model):
    """An election offence handed to Gakkumdu (Bawaslu, Polres, Kejaksaan)."""

    class Category(models.TextChoices):
        ADMINISTRATIF = "administratif", _("pelanggaran administratif")
        PIDANA = "pidana", _("tindak pidana pemilu")
        KODE_ETIK = "kode_etik", _("pelanggaran kode etik")
        LAINNYA = "lainnya", _("pelanggaran hukum lainnya")

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("kejadian")
    )
    category = models.CharField(_("kategori"), max_length=16, choices=Category.choices)
    article = models.CharField(_("pasal"), max_length=120, blank=True)
    handed_over = models.TextField(_("yang diserahkan"))
    reference = models.CharField(_("nomor register"), max_length=80, blank=True)
    referred_at = models.DateTimeField(_("diserahkan"), auto_now_add=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["referred_at", "id"]
        verbose_name = _("penerusan ke Gakkumdu")
        verbose_name_plural = _("penerusan ke Gakkumdu")

    def __str__(self) -> str:
        return f"{self.incident_id} {self.category}"


class IncidentPhoto(models.Model):
    """A photo as evidence: the original kept for Gakkumdu, a copy without location metadata
    shown to everyone else; the SHA-256 of the original is taken at upload."""

    incident = models.ForeignKey(
        Incident, on_delete=models.PROTECT, related_name="photos", verbose_name=_("kejadian")
    )
    original = models.FileField(upload_to="evidence/original/%Y/%m/")
    display = models.FileField(upload_to="evidence/display/%Y/%m/")
    sha256 = models.CharField(max_length=64, db_index=True)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("foto bukti")
        verbose_name_plural = _("foto bukti")

    def __str__(self) -> str:
        return self.sha256[:12]


class TpsReturn(models.Model):
    """A field officer's report of a TPS's status through polling day (laporan TPS)."""

    tps = models.ForeignKey(
        "operations.Tps", on_delete=models.PROTECT, related_name="returns", verbose_name=_("TPS")
    )
    status = models.CharField(_("status"), max_length=16)
    note = models.CharField(_("catatan"), max_length=500, blank=True)
    reported_at = models.DateTimeField(_("dilaporkan"), auto_now_add=True, db_index=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("pelapor"),
    )
    is_exercise = models.BooleanField(_("latihan"), default=False)
    # Unique per reporter, NULL for none, like Incident's.
    idempotency_key = models.CharField(  # noqa: DJ001
        max_length=IDEMPOTENCY_KEY_MAX, null=True, blank=True
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("laporan TPS")
        verbose_name_plural = _("laporan TPS")
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="tps_return_key_per_reporter",
            )
        ]

    def __str__(self) -> str:
        return f"{self.tps_id} {self.status}"

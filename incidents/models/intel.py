"""Intelligence reports (Laporan Informasi), public tips, and early warning: scores, engine
versions, corrections, training runs and backtests."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import AppendOnlyModel
from incidents.ew import Config
from incidents.models.reports import AlertLevel

GRADE_RELIABILITY = [(c, c) for c in "ABCDEF"]
GRADE_CREDIBILITY = [(i, str(i)) for i in range(1, 7)]


class IntelField(models.TextChoices):
    """Bidang (ipoleksosbudkam) of a Laporan Informasi."""

    IDEOLOGI = "ideologi", _("ideologi")
    POLITIK = "politik", _("politik")
    EKONOMI = "ekonomi", _("ekonomi")
    SOSIAL = "sosial", _("sosial")
    BUDAYA = "budaya", _("budaya")
    KEAMANAN = "keamanan", _("keamanan")


class IntelReport(models.Model):
    """A Laporan Informasi (LI) from Sat Intelkam: one subject, the source and its grading,
    the facts in 5W1H order, and the reporter's opinion kept apart from them."""

    subject = models.CharField(_("perihal"), max_length=200)
    field = models.CharField(_("bidang"), max_length=12, choices=IntelField.choices)
    # Need-to-know: never shown to the liaison or field roles, never in a partner export.
    source = models.CharField(_("sumber"), max_length=200)
    source_relation = models.CharField(_("hubungan dengan sumber"), max_length=200, blank=True)
    obtained_how = models.CharField(_("cara mendapatkan"), max_length=200, blank=True)
    obtained_at = models.DateTimeField(_("waktu mendapatkan"))
    source_reliability = models.CharField(
        _("keandalan sumber"), max_length=1, choices=GRADE_RELIABILITY
    )
    info_credibility = models.PositiveSmallIntegerField(
        _("kebenaran informasi"), choices=GRADE_CREDIBILITY
    )
    what = models.TextField(_("apa"))
    when_text = models.CharField(_("bilamana"), max_length=200, blank=True)
    where_text = models.CharField(_("di mana"), max_length=200, blank=True)
    who = models.TextField(_("siapa"), blank=True)
    how = models.TextField(_("bagaimana"), blank=True)
    why = models.TextField(_("mengapa"), blank=True)
    analysis = models.TextField(_("analisa"), blank=True)
    prediction = models.TextField(_("prediksi"), blank=True)
    action_taken = models.TextField(_("langkah yang diambil"), blank=True)
    recommendation = models.TextField(_("saran"), blank=True)
    kelurahan = models.ForeignKey(
        "operations.Kelurahan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intel_reports",
        verbose_name=_("kelurahan"),
    )
    tps = models.ForeignKey(
        "operations.Tps",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intel_reports",
        verbose_name=_("TPS"),
    )
    lat = models.FloatField(_("lintang"), null=True, blank=True)
    lon = models.FloatField(_("bujur"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("pelapor"),
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True, db_index=True)
    is_exercise = models.BooleanField(_("latihan"), default=False, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("laporan informasi")
        verbose_name_plural = _("laporan informasi")

    def __str__(self) -> str:
        return f"LI #{self.pk}: {self.subject}"

    @property
    def text(self) -> str:
        """The facts as one text, for the early-warning engine (opinion left out)."""
        parts = [
            self.subject,
            self.what,
            self.when_text,
            self.where_text,
            self.who,
            self.how,
            self.why,
        ]
        return ". ".join(p.strip() for p in parts if p and p.strip())


class Tip(models.Model):
    """A tip from the public (anonymous form or POST /api/v1/tips/): an ungraded source."""

    text = models.TextField(_("isi"))
    place = models.CharField(_("tempat"), max_length=200, blank=True)
    kelurahan = models.ForeignKey(
        "operations.Kelurahan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tips",
        verbose_name=_("kelurahan"),
    )
    contact = models.CharField(_("kontak"), max_length=120, blank=True)
    client_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("diterima"), auto_now_add=True, db_index=True)
    is_exercise = models.BooleanField(_("latihan"), default=False)

    class Status(models.TextChoices):
        BARU = "baru", _("belum dipilah")
        DIANGKAT = "diangkat", _("diangkat jadi laporan")
        NOISE = "noise", _("bukan ancaman")

    # Triage (docs/intel.md): an intelligence officer promotes a tip to an incident or an LI,
    # or marks it noise; either way who, when and why are kept on the tip.
    status = models.CharField(
        _("pemilahan"), max_length=12, choices=Status.choices, default=Status.BARU, db_index=True
    )
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dipilah oleh"),
    )
    triaged_at = models.DateTimeField(_("dipilah"), null=True, blank=True)
    triage_note = models.CharField(_("catatan pemilahan"), max_length=500, blank=True)
    promoted_incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("menjadi kejadian"),
    )
    promoted_intel = models.ForeignKey(
        IntelReport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("menjadi laporan informasi"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("informasi masyarakat")
        verbose_name_plural = _("informasi masyarakat")

    def __str__(self) -> str:
        return f"Tip #{self.pk}"


class EwScore(models.Model):
    """The early-warning score of one report under one engine version (scored once: a
    duplicate delivery of the scoring task hits the unique constraint and changes nothing)."""

    intel = models.ForeignKey(
        IntelReport, on_delete=models.PROTECT, null=True, blank=True, related_name="scores"
    )
    tip = models.ForeignKey(
        Tip, on_delete=models.PROTECT, null=True, blank=True, related_name="scores"
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scores",
    )
    engine_version = models.CharField(max_length=40)
    score = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=8, choices=AlertLevel.choices, db_index=True)
    reasons = models.JSONField(default=list)
    scored_at = models.DateTimeField(auto_now_add=True)
    # Copied from the report when it is scored (reports do not move, change time or stop being
    # an exercise), so that corroboration and the surge test count one indexed table instead of
    # joining three.
    kelurahan = models.ForeignKey(
        "operations.Kelurahan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    report_at = models.DateTimeField(null=True, blank=True)
    is_exercise = models.BooleanField(default=False)
    # Who reported it (the informant, the tip's client, the officer), as corroboration compares
    # sources: "intel-source:<name>", "tip:<client hash>" (or "tip-<id>"), "field:<user id>".
    source = models.CharField(max_length=220, blank=True, default="")

    class Meta:
        ordering = ["-scored_at", "-id"]
        # Corroboration and the surge test read one place's scores, real or exercise, by time.
        indexes = [
            models.Index(fields=["kelurahan", "is_exercise", "report_at"], name="ew_place_time")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["intel", "engine_version"],
                name="ew_once_intel",
                condition=models.Q(intel__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["tip", "engine_version"],
                name="ew_once_tip",
                condition=models.Q(tip__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["incident", "engine_version"],
                name="ew_once_incident",
                condition=models.Q(incident__isnull=False),
            ),
            models.CheckConstraint(
                name="ew_one_subject",
                condition=(
                    models.Q(intel__isnull=False, tip__isnull=True, incident__isnull=True)
                    | models.Q(intel__isnull=True, tip__isnull=False, incident__isnull=True)
                    | models.Q(intel__isnull=True, tip__isnull=True, incident__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.score}"


class EwConfig(models.Model):
    """A version of the early-warning engine's lexicon, weights and thresholds.

    Versions are never edited once used: an administrator saves a new version and activates it;
    every score records the version it was made with.
    """

    version = models.SlugField(_("versi"), max_length=40, unique=True)
    config = models.JSONField(_("aturan (JSON)"))
    is_active = models.BooleanField(_("aktif"), default=False)
    note = models.TextField(_("catatan perubahan"), blank=True)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("aturan peringatan dini")
        verbose_name_plural = _("aturan peringatan dini")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_active_ew"
            )
        ]

    def __str__(self) -> str:
        return self.version

    def clean(self) -> None:
        data = dict(self.config or {})
        data["version"] = self.version
        try:
            Config.from_dict(data)
        except ValueError as exc:
            raise ValidationError({"config": str(exc)}) from None


class EwCorrection(AppendOnlyModel):
    """A command-post correction of a scored report's level, with its reason (the engine's next
    version learns from these; the latest correction of a report is the one that counts)."""

    score = models.ForeignKey(
        EwScore, on_delete=models.PROTECT, related_name="corrections", verbose_name=_("skor")
    )
    level = models.CharField(_("tingkat yang benar"), max_length=8, choices=AlertLevel.choices)
    reason = models.CharField(_("alasan"), max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("oleh")
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("koreksi peringatan dini")
        verbose_name_plural = _("koreksi peringatan dini")

    def __str__(self) -> str:
        return f"{self.score_id}: {self.level}"


class EwTrainingRun(models.Model):
    """One request to train a new engine version (ew_train, the page or the API)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("antre")
        RUNNING = "running", _("berjalan")
        DONE = "done", _("selesai")
        FAILED = "failed", _("gagal")

    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    version = models.SlugField(_("versi"), max_length=40, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(_("diminta"), auto_now_add=True)
    finished_at = models.DateTimeField(_("selesai"), null=True, blank=True)
    summary = models.JSONField(_("ringkasan"), default=dict, blank=True)
    error = models.TextField(_("galat"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.version} ({self.status})"


class EwBacktest(AppendOnlyModel):
    """How an engine version would have scored the stored and the corrected reports; shown
    before it is activated (activation names the backtest it was shown)."""

    config = models.ForeignKey(EwConfig, on_delete=models.PROTECT, related_name="backtests")
    against = models.CharField(_("dibandingkan dengan"), max_length=40)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    summary = models.JSONField(_("ringkasan"), default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"backtest {self.config_id} vs {self.against}"


class ScoringFailure(models.Model):
    """A report whose scoring raised (not a database or broker outage: those are retried until
    they pass). It is retried with backoff SCORE_MAX_ATTEMPTS times, then left `failed` with its
    error for the administrator, who re-queues it by hand (admin action); the beat sweep skips a
    failed report, so it never holds the others back or loops forever."""

    class Status(models.TextChoices):
        RETRYING = "retrying", _("dicoba lagi")
        FAILED = "failed", _("gagal")
        REQUEUED = "requeued", _("diantrekan ulang")
        RESOLVED = "resolved", _("berhasil dinilai")

    kind = models.CharField(_("jenis laporan"), max_length=10)
    report_id = models.PositiveBigIntegerField(_("nomor laporan"))
    engine_version = models.CharField(_("versi mesin"), max_length=40)
    attempts = models.PositiveSmallIntegerField(_("percobaan"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RETRYING
    )
    error = models.TextField(_("galat terakhir"), blank=True)
    first_failed_at = models.DateTimeField(_("gagal pertama"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("kegagalan penilaian")
        verbose_name_plural = _("kegagalan penilaian")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "report_id", "engine_version"], name="ew_failure_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.report_id} ({self.status})"

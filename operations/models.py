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


class Indicator(models.TextChoices):
    """Bawaslu-style TPS vulnerability indicators (2024 mapping: 7 variables, 22 indicators).

    The weights and the rule that turns them into a category are in operations/vulnerability.py.
    """

    PEMILIH_TMS = "pemilih_tms", _("pemilih tidak memenuhi syarat masih terdaftar")
    DPTB_BANYAK = "dptb_banyak", _("banyak pemilih DPTb")
    KPPS_LUAR = "kpps_luar", _("KPPS dari luar wilayah")
    LISTRIK_INTERNET = "listrik_internet", _("kendala listrik atau internet")
    DEKAT_POSKO = "dekat_posko", _("dekat posko atau rumah pemenangan")
    RAWAN_BENCANA = "rawan_bencana", _("daerah rawan bencana")
    SULIT_DIJANGKAU = "sulit_dijangkau", _("sulit dijangkau")
    POLITIK_UANG = "politik_uang", _("ada pemberian uang atau barang")
    RIWAYAT_KEKERASAN = "riwayat_kekerasan", _("riwayat kekerasan di TPS")
    INTIMIDASI = "intimidasi", _("riwayat intimidasi terhadap penyelenggara")
    LOGISTIK = "logistik", _("logistik terlambat, rusak atau kurang")
    TIDAK_NETRAL = "tidak_netral", _("aparat atau pejabat tidak netral")
    SARA = "sara", _("hasutan SARA")


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
    indicators = models.JSONField(
        _("indikator kerawanan"), default=list, blank=True, help_text=_("kode indikator")
    )
    category_computed = models.CharField(
        _("kategori menurut indikator"),
        max_length=16,
        choices=TpsCategory.choices,
        default=TpsCategory.KURANG_RAWAN,
    )
    category_override = models.CharField(
        _("kategori ditetapkan pos komando"),
        max_length=16,
        choices=TpsCategory.choices,
        blank=True,
    )
    override_reason = models.CharField(_("alasan penetapan"), max_length=255, blank=True)
    # The category in force (the override if any, else the computed one), kept in a column so
    # that maps, filters and the planner read it without recomputing.
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


class PostKind(models.TextChoices):
    TPS = "tps", _("klaster TPS")
    KPU = "kpu", _("kantor KPU")
    BAWASLU = "bawaslu", _("kantor Bawaslu")
    PPK = "ppk", _("tempat rekapitulasi PPK")
    GUDANG = "gudang", _("gudang logistik")
    PENGAWALAN = "pengawalan", _("pengawalan logistik")
    RUMAH_CALON = "rumah_calon", _("rumah calon")
    LAINNYA = "lainnya", _("lainnya")


class Post(models.Model):
    """A security post (pos pengamanan): a TPS cluster or a fixed place to guard."""

    kind = models.CharField(_("jenis"), max_length=16, choices=PostKind.choices, db_index=True)
    name = models.CharField(_("nama"), max_length=160)
    kelurahan = models.ForeignKey(
        Kelurahan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="posts",
        verbose_name=_("kelurahan"),
    )
    kecamatan = models.ForeignKey(
        Kecamatan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="posts",
        verbose_name=_("kecamatan"),
    )
    lat = models.FloatField(_("lintang"))
    lon = models.FloatField(_("bujur"))
    required_strength = models.PositiveSmallIntegerField(_("kekuatan dibutuhkan"))
    priority = models.SmallIntegerField(
        _("prioritas"), default=0, help_text=_("lebih tinggi diisi lebih dulu oleh perencana")
    )
    tps = models.ManyToManyField(Tps, blank=True, related_name="posts", verbose_name=_("TPS"))
    # The planner's stable cluster key for a TPS cluster post (unique among them).
    plan_key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)
    # What an officer at the post needs on his phone (GET /api/v1/me/duty/); blank when not
    # set (the API answers null). Free text: the post commander may be a name and a phone.
    commander = models.CharField(
        _("komandan pos"), max_length=120, blank=True, help_text=_("nama, pangkat, telepon")
    )
    radio_channel = models.CharField(_("kanal radio"), max_length=32, blank=True)

    class Meta:
        ordering = ["-priority", "kind", "name"]
        verbose_name = _("pos pengamanan")
        verbose_name_plural = _("pos pengamanan")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        validate_in_city(self.lat, self.lon)


class RecapSession(models.Model):
    """A recapitulation session (rekapitulasi): a PPK's (by kecamatan) or the KPU Kota's (no
    kecamatan), its schedule, its status, the crowd at the site, and the post that guards it
    (its strength against plan). A troubled session weighs on early warning (docs/logistics.md)."""

    class Status(models.TextChoices):
        TERJADWAL = "terjadwal", _("terjadwal")
        BERJALAN = "berjalan", _("berjalan")
        DISKORS = "diskors", _("diskors")
        SELESAI = "selesai", _("selesai")
        BUNTU = "buntu", _("buntu (deadlock)")

    kecamatan = models.ForeignKey(
        Kecamatan, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("kecamatan")
    )
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("pos pengamanan")
    )
    starts_at = models.DateTimeField(_("mulai"))
    ends_at = models.DateTimeField(_("selesai"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default="terjadwal"
    )
    # The crowd at the site, in the colours of Perkap 16/2006 (hijau, kuning, merah).
    crowd_size = models.PositiveIntegerField(_("massa di lokasi"), default=0)
    crowd_colour = models.CharField(_("situasi massa"), max_length=8, default="hijau")
    note = models.CharField(_("catatan"), max_length=255, blank=True)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("rekapitulasi")
        verbose_name_plural = _("rekapitulasi")

    def __str__(self) -> str:
        return f"PPK {self.kecamatan.name}" if self.kecamatan_id else "KPU Kota Metro"


class Assignment(models.Model):
    """An officer at a post for a time window. An officer is never in two places at once
    (operations.services.assignment_create checks it under a lock on the officer)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("manual")
        PLANNER = "planner", _("perencana")

    class Status(models.TextChoices):
        ACTIVE = "active", _("aktif")
        CANCELLED = "cancelled", _("dibatalkan")

    officer = models.ForeignKey(
        "personnel.Officer",
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("personel"),
    )
    post = models.ForeignKey(
        Post, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("pos")
    )
    starts_at = models.DateTimeField(_("mulai"))
    ends_at = models.DateTimeField(_("selesai"))
    source = models.CharField(_("sumber"), max_length=8, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    reason = models.CharField(_("alasan"), max_length=255, blank=True)
    plan = models.ForeignKey(
        "DeploymentPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("rencana"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dibuat oleh"),
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("penugasan")
        verbose_name_plural = _("penugasan")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="assignment_window"
            )
        ]
        indexes = [models.Index(fields=["officer", "status", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.officer_id} @ {self.post_id}"


class CheckIn(models.Model):
    """An officer's check-in (apel) at the post of one of his assignments, from his phone: the
    server's time, the phone's, and where the phone was (if it could tell) and how far from
    the post that is."""

    officer = models.ForeignKey(
        "personnel.Officer",
        on_delete=models.PROTECT,
        related_name="check_ins",
        verbose_name=_("personel"),
    )
    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="check_ins", verbose_name=_("penugasan")
    )
    at = models.DateTimeField(_("diterima server"), auto_now_add=True, db_index=True)
    phone_time = models.DateTimeField(_("jam ponsel"), null=True, blank=True)
    # The phone's clock was far from the server's (docs/api.md, "Jam ponsel").
    phone_time_suspect = models.BooleanField(_("jam ponsel menyimpang"), default=False)
    lat = models.FloatField(_("lintang"), null=True, blank=True)
    lon = models.FloatField(_("bujur"), null=True, blank=True)
    accuracy = models.FloatField(
        _("akurasi (m)"), null=True, blank=True, validators=[MinValueValidator(0.0)]
    )
    distance_m = models.PositiveIntegerField(_("jarak dari pos (m)"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("apel di pos")
        verbose_name_plural = _("apel di pos")
        indexes = [models.Index(fields=["officer", "at"])]

    def __str__(self) -> str:
        return f"{self.officer_id} @ {self.assignment_id} {self.at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        validate_in_city(self.lat, self.lon)


class DeploymentPattern(models.Model):
    """How many officers guard how many TPS, per category: configuration, not code."""

    name = models.CharField(_("nama"), max_length=120, unique=True)
    rules = models.JSONField(
        _("aturan"),
        help_text=_('{"kurang_rawan": {"officers": 2, "max_tps": 20, "min_tps": 12}, ...}'),
    )
    is_default = models.BooleanField(_("bawaan"), default=False)
    description = models.TextField(_("keterangan"), blank=True)

    class Meta:
        ordering = ["-is_default", "name"]
        verbose_name = _("pola pengamanan TPS")
        verbose_name_plural = _("pola pengamanan TPS")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_pattern",
            )
        ]

    def __str__(self) -> str:
        return self.name


class DeploymentPlan(models.Model):
    """One run of the planner: its parameters, its result, and whether it was accepted."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draf")
        ACCEPTED = "accepted", _("diterapkan")
        SUPERSEDED = "superseded", _("digantikan")

    pattern = models.ForeignKey(
        DeploymentPattern,
        on_delete=models.PROTECT,
        related_name="plans",
        verbose_name=_("pola"),
    )
    reserve_share = models.FloatField(_("porsi cadangan"))
    starts_at = models.DateTimeField(_("mulai tugas"))
    ends_at = models.DateTimeField(_("selesai tugas"))
    keep_manual = models.BooleanField(_("pertahankan penugasan manual"), default=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    coverage = models.JSONField(_("cakupan"), default=dict)
    result = models.JSONField(_("hasil"), default=dict)
    duration_ms = models.PositiveIntegerField(_("durasi (ms)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dibuat oleh"),
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diterapkan oleh"),
    )
    accepted_at = models.DateTimeField(_("diterapkan"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rencana penempatan")
        verbose_name_plural = _("rencana penempatan")

    def __str__(self) -> str:
        return f"Rencana #{self.pk}"


class Scenario(models.Model):
    """A Sispamkota exercise scenario: a named timeline of injects with the response expected
    (operations/exercises.py validates the definition; docs/exercises.md describes it)."""

    class Source(models.TextChoices):
        FILE = "file", _("berkas")
        FORM = "form", _("formulir")

    name = models.SlugField(_("nama"), max_length=64, unique=True)
    title = models.CharField(_("judul"), max_length=200)
    description = models.TextField(_("keterangan"), blank=True)
    definition = models.JSONField(_("definisi (JSON)"))
    source = models.CharField(_("asal"), max_length=8, choices=Source.choices)
    version = models.PositiveIntegerField(_("versi"), default=1)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("diperbarui oleh"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("skenario latihan")
        verbose_name_plural = _("skenario latihan")

    def __str__(self) -> str:
        return self.name


class ExerciseRun(models.Model):
    """One playing of a scenario, time-compressed by `speed`; everything it creates is marked
    as exercise. The definition is copied at start so that later edits leave the report as run."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("direncanakan")
        RUNNING = "running", _("berjalan")
        FINISHED = "finished", _("selesai")
        STOPPED = "stopped", _("dihentikan")

    scenario = models.ForeignKey(
        Scenario, on_delete=models.PROTECT, related_name="runs", verbose_name=_("skenario")
    )
    scenario_version = models.PositiveIntegerField(_("versi skenario"))
    definition = models.JSONField(_("definisi saat dijalankan"))
    speed = models.FloatField(_("percepatan"), validators=[MinValueValidator(0.1)])
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    started_at = models.DateTimeField(_("mulai"), null=True, blank=True)
    ends_at = models.DateTimeField(_("rencana selesai"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("berakhir"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dimulai oleh"),
    )
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dihentikan oleh"),
    )
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("latihan")
        verbose_name_plural = _("latihan")
        # One exercise at a time: its alerts and measurements must not mix with another's.
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="running"), name="one_running_exercise"
            )
        ]

    def __str__(self) -> str:
        return f"Latihan #{self.pk} {self.scenario_id}"


class ExerciseInject(models.Model):
    """One inject of a run: when it was due and fired, the object it created (always marked
    exercise), and what the expected response was. Measured times are read from those objects."""

    class Kind(models.TextChoices):
        INTEL = "intel", _("laporan informasi")
        TIP = "tip", _("informasi masyarakat")
        INCIDENT = "incident", _("laporan kejadian")
        TPS_RETURN = "tps_return", _("laporan TPS")
        ESCALATE = "escalate", _("eskalasi situasi")
        LOGISTICS = "logistics", _("logistik terhenti di jalan")

    run = models.ForeignKey(
        ExerciseRun, on_delete=models.PROTECT, related_name="injects", verbose_name=_("latihan")
    )
    index = models.PositiveSmallIntegerField(_("urutan"))
    kind = models.CharField(_("jenis"), max_length=12, choices=Kind.choices)
    offset_seconds = models.PositiveIntegerField(_("detik sejak mulai (waktu skenario)"))
    due_at = models.DateTimeField(_("jatuh tempo"))
    fired_at = models.DateTimeField(_("dimainkan"), null=True, blank=True)
    skipped = models.BooleanField(_("dilewati"), default=False)
    spec = models.JSONField(_("inject"))
    error = models.TextField(_("galat"), blank=True)
    # What the inject created (or, for an escalation, the incident it acted on).
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    intel = models.ForeignKey(
        "incidents.IntelReport", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tip = models.ForeignKey(
        "incidents.Tip", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tps_return = models.ForeignKey(
        "incidents.TpsReturn", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    result = models.JSONField(_("hasil saat dimainkan"), default=dict, blank=True)

    class Meta:
        ordering = ["run", "index"]
        verbose_name = _("inject latihan")
        verbose_name_plural = _("inject latihan")
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="one_inject_per_index")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}#{self.index} {self.kind}"

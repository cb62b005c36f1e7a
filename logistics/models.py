"""Election logistics under escort (docs/logistics.md).

A **site** is a place in the KPU's chain: the KPU warehouse, the KPU Kota (its recapitulation),
one PPK per kecamatan, one PPS per kelurahan, every TPS. A **leg** carries a manifest from one
site to the next, escorted by officers of the roster under a commander; the **custody events**
recorded from the commander's phone (departed, checkpoint, stopped, resumed, arrived, handed
over) are append-only (a PostgreSQL trigger refuses UPDATE and DELETE) and audited.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SiteKind(models.TextChoices):
    GUDANG = "gudang", _("gudang logistik KPU")
    KPU = "kpu", _("KPU Kota")
    PPK = "ppk", _("PPK")
    PPS = "pps", _("PPS")
    TPS = "tps", _("TPS")


class Site(models.Model):
    """A place logistics leave from or arrive at; `code` is what the KPU's schedule names."""

    code = models.SlugField(_("kode"), max_length=48, unique=True)
    kind = models.CharField(_("jenis"), max_length=8, choices=SiteKind.choices, db_index=True)
    name = models.CharField(_("nama"), max_length=160)
    kecamatan = models.ForeignKey(
        "operations.Kecamatan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kecamatan"),
    )
    kelurahan = models.ForeignKey(
        "operations.Kelurahan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kelurahan"),
    )
    tps = models.OneToOneField(
        "operations.Tps",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="logistics_site",
        verbose_name=_("TPS"),
    )
    lat = models.FloatField(_("lintang"))
    lon = models.FloatField(_("bujur"))

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("lokasi logistik")
        verbose_name_plural = _("lokasi logistik")

    def __str__(self) -> str:
        return self.name


class Direction(models.TextChoices):
    DISTRIBUSI = "distribusi", _("distribusi")
    PENGEMBALIAN = "pengembalian", _("pengembalian")


class Stage(models.TextChoices):
    GUDANG_PPK = "gudang_ppk", _("gudang KPU ke PPK")
    PPK_PPS = "ppk_pps", _("PPK ke PPS")
    PPS_TPS = "pps_tps", _("PPS ke TPS")
    TPS_PPS = "tps_pps", _("TPS ke PPS")
    PPS_PPK = "pps_ppk", _("PPS ke PPK")
    PPK_KPU = "ppk_kpu", _("PPK ke KPU Kota")


# (origin kind, destination kind) -> stage, and each stage's direction.
STAGES = {
    (SiteKind.GUDANG, SiteKind.PPK): Stage.GUDANG_PPK,
    (SiteKind.PPK, SiteKind.PPS): Stage.PPK_PPS,
    (SiteKind.PPS, SiteKind.TPS): Stage.PPS_TPS,
    (SiteKind.TPS, SiteKind.PPS): Stage.TPS_PPS,
    (SiteKind.PPS, SiteKind.PPK): Stage.PPS_PPK,
    (SiteKind.PPK, SiteKind.KPU): Stage.PPK_KPU,
}
DISTRIBUTION_STAGES = (Stage.GUDANG_PPK, Stage.PPK_PPS, Stage.PPS_TPS)


class ManifestItem(models.TextChoices):
    """What a leg carries: the CSV's count columns, in this order."""

    KOTAK_SUARA = "kotak_suara", _("kotak suara")
    SS_PPWP = "ss_ppwp", _("surat suara Presiden/Wapres")
    SS_DPR = "ss_dpr", _("surat suara DPR")
    SS_DPD = "ss_dpd", _("surat suara DPD")
    SS_DPRD_PROV = "ss_dprd_prov", _("surat suara DPRD Provinsi")
    SS_DPRD_KOTA = "ss_dprd_kota", _("surat suara DPRD Kota")
    FORMULIR = "formulir", _("set formulir")
    SAMPUL = "sampul", _("sampul hasil bersegel")


class LegStatus(models.TextChoices):
    RENCANA = "rencana", _("direncanakan")
    MUAT = "muat", _("pemuatan")
    JALAN = "jalan", _("dalam perjalanan")
    TERHENTI = "terhenti", _("terhenti di jalan")
    TIBA = "tiba", _("tiba")
    DISERAHKAN = "diserahkan", _("diserahterimakan")


class Problem(models.TextChoices):
    NONE = "", _("tidak ada")
    OVERDUE = "terlambat", _("terlambat tiba")
    STOPPED = "terhenti", _("terhenti di jalan")
    MISMATCH = "selisih", _("selisih saat serah terima")
    NO_ESCORT = "tanpa_kawal", _("tanpa pengawalan")


class Leg(models.Model):
    """One trip of logistics from a site to the next, under escort."""

    code = models.SlugField(_("kode"), max_length=64, unique=True)
    stage = models.CharField(_("tahap"), max_length=12, choices=Stage.choices, db_index=True)
    origin = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="legs_out", verbose_name=_("asal")
    )
    destination = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="legs_in", verbose_name=_("tujuan")
    )
    planned_departure = models.DateTimeField(_("rencana berangkat"), db_index=True)
    planned_arrival = models.DateTimeField(_("rencana tiba"), db_index=True)
    vehicle = models.CharField(_("kendaraan"), max_length=64, blank=True)
    commander = models.ForeignKey(
        "personnel.Officer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="legs_commanded",
        verbose_name=_("komandan pengawalan"),
    )
    escorts = models.ManyToManyField(
        "personnel.Officer", blank=True, related_name="legs_escorted", verbose_name=_("pengawal")
    )
    # {item: count} over ManifestItem, and the seal numbers on the boxes or envelopes.
    manifest = models.JSONField(_("manifes"), default=dict)
    seals = models.JSONField(_("nomor segel"), default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=LegStatus.choices,
        default=LegStatus.RENCANA,
        db_index=True,
    )
    problem = models.CharField(
        _("masalah"), max_length=12, choices=Problem.choices, default="", blank=True
    )
    problem_note = models.CharField(_("keterangan masalah"), max_length=255, blank=True)
    departed_at = models.DateTimeField(_("berangkat"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("tiba"), null=True, blank=True)
    handed_over_at = models.DateTimeField(_("diserahkan"), null=True, blank=True)
    last_lat = models.FloatField(_("posisi terakhir: lintang"), null=True, blank=True)
    last_lon = models.FloatField(_("posisi terakhir: bujur"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("posisi terakhir pada"), null=True, blank=True)
    is_exercise = models.BooleanField(_("latihan"), default=False)
    created_at = models.DateTimeField(_("dibuat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("diperbarui"), auto_now=True)

    class Meta:
        ordering = ["planned_departure", "code"]
        verbose_name = _("perjalanan logistik")
        verbose_name_plural = _("perjalanan logistik")

    def __str__(self) -> str:
        return self.code

    @property
    def direction(self) -> str:
        """Distribution (towards the TPS) or return: follows from the stage."""
        if self.stage in DISTRIBUTION_STAGES:
            return Direction.DISTRIBUSI
        return Direction.PENGEMBALIAN

    def get_direction_display(self) -> str:
        return Direction(self.direction).label

    @property
    def manifest_lines(self) -> list[tuple[str, str, int]]:
        """The manifest as (item, label, count), in the manifest's order."""
        return [(k, ManifestItem(k).label, n) for k, n in self.manifest.items()]

    @property
    def is_escorted(self) -> bool:
        return self.commander_id is not None


class CustodyEvent(models.Model):
    """One step of a leg's custody, as the escort recorded it; never changed afterwards."""

    class Kind(models.TextChoices):
        DEPARTED = "berangkat", _("berangkat")
        CHECKPOINT = "posisi", _("lapor posisi")
        STOPPED = "terhenti", _("terhenti")
        RESUMED = "lanjut", _("melanjutkan perjalanan")
        ARRIVED = "tiba", _("tiba")
        HANDED_OVER = "serah_terima", _("serah terima")

    class ReceiverRole(models.TextChoices):
        KPU = "kpu", _("petugas KPU Kota")
        PPK = "ppk", _("anggota PPK")
        PPS = "pps", _("anggota PPS")
        KPPS = "kpps", _("ketua/anggota KPPS")
        GUDANG = "gudang", _("petugas gudang KPU")

    leg = models.ForeignKey(
        Leg, on_delete=models.PROTECT, related_name="events", verbose_name=_("perjalanan")
    )
    kind = models.CharField(_("jenis"), max_length=12, choices=Kind.choices)
    # The server's clock when recorded (a seeded history sets its own: demo/logistics.py).
    at = models.DateTimeField(_("diterima server"), default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dicatat oleh"),
    )
    officer = models.ForeignKey(
        "personnel.Officer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("personel"),
    )
    lat = models.FloatField(_("lintang"), null=True, blank=True)
    lon = models.FloatField(_("bujur"), null=True, blank=True)
    receiver_name = models.CharField(_("nama penerima"), max_length=128, blank=True)
    receiver_role = models.CharField(
        _("jabatan penerima"), max_length=8, choices=ReceiverRole.choices, blank=True
    )
    counts = models.JSONField(_("jumlah diperiksa"), default=dict, blank=True)
    seals = models.JSONField(_("segel diperiksa"), default=list, blank=True)
    # What differs from the manifest: [{"item": ..., "expected": n, "found": m}, {"seal": ...}].
    differences = models.JSONField(_("selisih"), default=list, blank=True)
    note = models.CharField(_("catatan"), max_length=500, blank=True)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("catatan serah terima")
        verbose_name_plural = _("catatan serah terima")
        constraints = [
            models.UniqueConstraint(
                fields=["recorded_by", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="custody_event_key_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.leg_id}:{self.kind}"


class CustodyPhoto(models.Model):
    """A photo of a handover (the boxes, the seals, the signed receipt), kept like evidence:
    the original apart, a copy without metadata to show; append-only like its event."""

    event = models.ForeignKey(
        CustodyEvent, on_delete=models.PROTECT, related_name="photos", verbose_name=_("catatan")
    )
    original = models.FileField(upload_to="custody/original/%Y/%m/")
    display = models.FileField(upload_to="custody/display/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("foto serah terima")
        verbose_name_plural = _("foto serah terima")
        constraints = [
            models.UniqueConstraint(fields=["event", "sha256"], name="custody_photo_once")
        ]

    def __str__(self) -> str:
        return self.sha256[:12]

"""Units, officers and BKO contingents."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Rank(models.IntegerChoices):
    """The Polri rank ladder, lowest first: the value orders ranks."""

    BHARADA = 1, "Bharada"
    BHARATU = 2, "Bharatu"
    BHARAKA = 3, "Bharaka"
    ABRIPDA = 4, "Abripda"
    ABRIPTU = 5, "Abriptu"
    ABRIP = 6, "Abrip"
    BRIPDA = 7, "Bripda"
    BRIPTU = 8, "Briptu"
    BRIGPOL = 9, "Brigpol"
    BRIPKA = 10, "Bripka"
    AIPDA = 11, "Aipda"
    AIPTU = 12, "Aiptu"
    IPDA = 13, "Ipda"
    IPTU = 14, "Iptu"
    AKP = 15, "AKP"
    KOMPOL = 16, "Kompol"
    AKBP = 17, "AKBP"
    KOMBES = 18, "Kombes Pol"
    BRIGJEN = 19, "Brigjen Pol"
    IRJEN = 20, "Irjen Pol"
    KOMJEN = 21, "Komjen Pol"
    JENDERAL = 22, "Jenderal Pol"


class UnitKind(models.TextChoices):
    POLRES = "polres", "Polres"
    BAG = "bag", "Bag"
    SAT = "sat", "Sat"
    SI = "si", "Si"
    SPKT = "spkt", "SPKT"
    POLSEK = "polsek", "Polsek"
    EXTERNAL = "external", _("satuan luar (asal BKO)")


class Unit(models.Model):
    """A unit of Polres Metro (or, kind external, the home unit of a BKO contingent)."""

    code = models.SlugField(_("kode"), max_length=48, unique=True)
    name = models.CharField(_("nama"), max_length=128)
    kind = models.CharField(_("jenis"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("induk"),
    )
    kecamatan = models.ForeignKey(
        "operations.Kecamatan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        verbose_name=_("wilayah (Polsek)"),
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("satuan")
        verbose_name_plural = _("satuan")

    def __str__(self) -> str:
        return self.name


class Satgas(models.Model):
    """A task force of Operasi Mantap Brata at Polres level (six of them)."""

    code = models.SlugField(_("kode"), max_length=32, unique=True)
    name = models.CharField(_("nama"), max_length=64)
    order = models.PositiveSmallIntegerField(_("urutan"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("satgas")
        verbose_name_plural = _("satgas")

    def __str__(self) -> str:
        return f"Satgas {self.name}"


class BkoRequest(models.Model):
    """A request from the Polres to Polda for reinforcements, and Polda's decision on it."""

    class Status(models.TextChoices):
        DIAJUKAN = "diajukan", _("diajukan")
        DISETUJUI = "disetujui", _("disetujui")
        SEBAGIAN = "sebagian", _("disetujui sebagian")
        DITOLAK = "ditolak", _("ditolak")

    kind = models.CharField(
        _("jenis pasukan"), max_length=64, help_text=_("Brimob, Samapta, Dalmas, ...")
    )
    count = models.PositiveIntegerField(_("jumlah diminta"))
    location = models.CharField(_("lokasi penugasan"), max_length=200)
    reason = models.TextField(_("alasan"))
    needed_from = models.DateTimeField(_("dibutuhkan mulai"))
    needed_until = models.DateTimeField(_("dibutuhkan sampai"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DIAJUKAN
    )
    approved_count = models.PositiveIntegerField(_("jumlah disetujui"), default=0)
    decision_note = models.TextField(_("catatan keputusan Polda"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("diajukan oleh"),
    )
    requested_at = models.DateTimeField(_("diajukan pada"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dicatat oleh"),
    )
    decided_at = models.DateTimeField(_("diputuskan pada"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("permintaan BKO")
        verbose_name_plural = _("permintaan BKO")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(needed_until__gte=models.F("needed_from")),
                name="bko_request_window",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_count__lte=models.F("count")),
                name="bko_request_approved_le_count",
            ),
        ]

    def __str__(self) -> str:
        return f"BKO {self.kind} x{self.count}"


class BkoContingent(models.Model):
    """Reinforcements placed under Polres Metro's operational control (Bawah Kendali Operasi)."""

    class Status(models.TextChoices):
        EXPECTED = "expected", _("dalam perjalanan")
        ARRIVED = "arrived", _("tiba")
        RELEASED = "released", _("dikembalikan")

    code = models.SlugField(_("kode"), max_length=48, unique=True)
    name = models.CharField(_("nama"), max_length=128)
    home_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="contingents", verbose_name=_("satuan asal")
    )
    strength = models.PositiveIntegerField(_("kekuatan"), help_text=_("jumlah yang dijanjikan"))
    request = models.ForeignKey(
        BkoRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contingents",
        verbose_name=_("permintaan"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.EXPECTED
    )
    arrived_at = models.DateTimeField(_("tiba"), null=True, blank=True)
    released_at = models.DateTimeField(_("dikembalikan"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("kontingen BKO")
        verbose_name_plural = _("kontingen BKO")

    def __str__(self) -> str:
        return self.name


nrp_validator = RegexValidator(r"^\d{8}$", _("NRP terdiri dari 8 angka."), code="invalid_nrp")


class OfficerStatus(models.TextChoices):
    SIAGA = "siaga", _("siaga")
    BERTUGAS = "bertugas", _("bertugas")
    LEPAS_DINAS = "lepas_dinas", _("lepas dinas")
    SAKIT_CUTI = "sakit_cuti", _("sakit/cuti")
    LUKA = "luka", _("luka")
    # Set by the officer himself from his phone (POST /api/v1/me/status/): a break during his
    # duty, and a call for backup (which raises an alert at the command post at once).
    ISTIRAHAT = "istirahat", _("istirahat")
    BUTUH_BANTUAN = "butuh_bantuan", _("butuh bantuan")


class Officer(models.Model):
    """A police officer: of Polres Metro, or of a BKO contingent (then `contingent` is set)."""

    nrp = models.CharField(_("NRP"), max_length=8, unique=True, validators=[nrp_validator])
    name = models.CharField(_("nama"), max_length=128)
    rank = models.PositiveSmallIntegerField(_("pangkat"), choices=Rank.choices, db_index=True)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="officers", verbose_name=_("satuan")
    )
    function = models.CharField(_("jabatan/fungsi"), max_length=128, blank=True)
    phone = models.CharField(_("telepon"), max_length=20, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=OfficerStatus.choices,
        default=OfficerStatus.SIAGA,
        db_index=True,
    )
    satgas = models.ForeignKey(
        Satgas,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
        verbose_name=_("satgas"),
    )
    contingent = models.ForeignKey(
        BkoContingent,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
        verbose_name=_("kontingen BKO"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="officer",
        verbose_name=_("akun"),
    )

    class Meta:
        ordering = ["-rank", "name"]
        verbose_name = _("personel")
        verbose_name_plural = _("personel")

    def __str__(self) -> str:
        return f"{self.get_rank_display()} {self.name}"

    @property
    def is_bko(self) -> bool:
        return self.contingent_id is not None


class OfficerStatusChange(models.Model):
    """One change of an officer's status: the history the strength figures are built from."""

    officer = models.ForeignKey(
        Officer,
        on_delete=models.PROTECT,
        related_name="status_changes",
        verbose_name=_("personel"),
    )
    from_status = models.CharField(_("dari"), max_length=16, choices=OfficerStatus.choices)
    to_status = models.CharField(_("menjadi"), max_length=16, choices=OfficerStatus.choices)
    at = models.DateTimeField(_("waktu"), auto_now_add=True, db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("oleh"),
    )
    note = models.CharField(_("keterangan"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("riwayat status")
        verbose_name_plural = _("riwayat status")

    def __str__(self) -> str:
        return f"{self.officer_id}: {self.from_status} -> {self.to_status}"

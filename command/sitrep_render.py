"""The situation report's faces: its tables (shared by the page, the CSV and the PDF, so all
three show the same rows), the CSV and the PDF (A4 portrait, reportlab).

Nothing here queries the database: everything comes from the `Sitrep` that
command.sitrep.sitrep_build returned.
"""

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from command.sitrep import Sitrep, when_text
from core import palette
from core.csv_io import csv_cell_safe, csv_writer


@dataclass
class SitrepTable:
    title: str
    columns: list[str]
    rows: list[list]


def _minutes(seconds: int | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f}"


def sitrep_header(report: Sitrep) -> list[tuple[str, str]]:
    """The header lines: who, what, when."""
    phase = report.phase["name"] if report.phase else _("di luar jadwal tahapan")
    return [
        (_("Satuan"), "Polres Metro (Polda Lampung)"),
        (_("Periode"), report.period_text),
        (_("Dibuat"), f"{when_text(report.generated_at)} WIB"),
        (_("Penyusun"), report.author),
        (_("Tahapan pemilu"), phase),
        (_("Versi"), _("mitra (KPU/Bawaslu)") if report.partner else _("internal")),
        (_("Klasifikasi"), report.marking),
    ]


def _count_rows(items: list[dict]) -> list[list]:
    return [[r["label"], r["count"]] for r in items]


def sitrep_tables(report: Sitrep) -> list[SitrepTable]:
    """Every table of the report, in order."""
    s, t, inc, al, force = (
        report.strength,
        report.tps,
        report.incidents,
        report.alerts,
        report.force,
    )
    count = _("Jumlah")
    tables = []
    if report.partner:
        tables.append(
            SitrepTable(
                _("Kekuatan personel"),
                [_("Rincian"), count],
                [
                    [_("Jumlah personel"), s["total"]],
                    ["Polres", s["polres"]],
                    ["BKO", s["bko"]],
                    [_("Ditempatkan"), s["deployed"]],
                ],
            )
        )
    else:
        rows = [[r["label"], r["polres"], r["bko"], r["total"]] for r in s["deployment"]]
        rows.append([_("Jumlah"), s["polres"], s["bko"], s["total"]])
        tables.append(
            SitrepTable(
                _("Kekuatan dan penempatan personel"), [_("Keadaan"), "Polres", "BKO", count], rows
            )
        )
        tables.append(
            SitrepTable(
                _("Personel per satgas"),
                [_("Satgas"), "Polres", "BKO", count],
                [[r["satgas"], r["polres"], r["bko"], r["total"]] for r in s["by_satgas"]],
            )
        )
        if s["contingents"]:
            tables.append(
                SitrepTable(
                    _("Kontingen BKO"),
                    [_("Kontingen"), _("Dijanjikan"), _("Tercatat"), _("Status")],
                    [
                        [c["name"], c["strength"], c["checked_in"], c["status"]]
                        for c in s["contingents"]
                    ],
                )
            )
    tables.append(
        SitrepTable(
            _("Status TPS (laporan terakhir sebelum akhir periode)"),
            [_("Status"), _("TPS")],
            [*_count_rows(t["by_status"]), [_("Jumlah"), t["total"]]],
        )
    )
    tables.append(
        SitrepTable(
            _("TPS per kategori kerawanan"),
            [_("Kategori"), _("TPS")],
            _count_rows(t["by_category"]),
        )
    )
    tables.append(
        SitrepTable(
            _("TPS per kecamatan"),
            [
                _("Kecamatan"),
                _("TPS"),
                _("kurang rawan"),
                _("rawan"),
                _("sangat rawan"),
                _("khusus"),
                "DPT",
            ],
            [
                [
                    r["kecamatan"],
                    r["tps"],
                    r["kurang_rawan"],
                    r["rawan"],
                    r["sangat_rawan"],
                    r["khusus"],
                    r["dpt"],
                ]
                for r in t["by_kecamatan"]
            ],
        )
    )
    tables.append(
        SitrepTable(
            _("Kejadian per jenis"),
            [_("Jenis"), count],
            [*_count_rows(inc["by_type"]), [_("Jumlah"), inc["total"]]],
        )
    )
    tables.append(
        SitrepTable(
            _("Kejadian per situasi massa"), [_("Situasi"), count], _count_rows(inc["by_colour"])
        )
    )
    tables.append(
        SitrepTable(
            _("Kejadian per kecamatan"),
            [_("Kecamatan"), count, _("merah"), _("kuning"), _("hijau")],
            [
                [r["kecamatan"], r["total"], r["merah"], r["kuning"], r["hijau"]]
                for r in inc["by_kecamatan"]
            ],
        )
    )
    tables.append(
        SitrepTable(
            _("Kejadian per status (saat laporan dibuat)"),
            [_("Status"), count],
            _count_rows(inc["by_status"]),
        )
    )
    resp = inc["response"]
    tables.append(
        SitrepTable(
            _("Waktu tanggap dan korban"),
            [_("Rincian"), _("Nilai")],
            [
                [_("Kejadian dengan waktu tiba tercatat"), resp["count"]],
                [_("Median waktu tanggap (menit)"), _minutes(resp["median_s"])],
                [_("Persentil 90 waktu tanggap (menit)"), _minutes(resp["p90_s"])],
                [_("Korban"), inc["casualties"]],
            ],
        )
    )
    alert_rows = [
        [_("Dibuat"), al["raised"]],
        [_("Diterima"), al["acknowledged"]],
        [_("Dieskalasi"), al["escalated"]],
        [_("Ditutup"), al["closed"]],
        [_("Masih terbuka"), al["open"]],
    ]
    alert_rows += [[_("Tingkat %(l)s") % {"l": r["label"]}, r["count"]] for r in al["by_level"]]
    alert_rows += [
        [_("Jenis: %(k)s") % {"k": r["label"]}, r["count"]] for r in al.get("by_kind", [])
    ]
    tables.append(
        SitrepTable(_("Peringatan dan tindak lanjutnya"), [_("Rincian"), count], alert_rows)
    )
    tables.append(
        SitrepTable(
            _("Penggunaan kekuatan per tahap (Perkap 1/2009)"),
            [_("Tahap"), count],
            [*_count_rows(force["by_stage"]), [_("Jumlah"), force["total"]]],
        )
    )
    if force.get("entries"):
        tables.append(
            SitrepTable(
                _("Catatan penggunaan kekuatan"),
                [
                    _("Waktu"),
                    _("Kejadian"),
                    _("Kelurahan"),
                    _("Tahap"),
                    _("Dasar/alasan"),
                    _("Diizinkan oleh"),
                ],
                [
                    [
                        e["used_at"],
                        f"#{e['incident']}",
                        e["kelurahan"],
                        e["stage"],
                        e["justification"],
                        e["authorised_by"] or "-",
                    ]
                    for e in force["entries"]
                ],
            )
        )
    tables += _logistics_tables(report.logistics)
    if report.intel is not None:
        intel = report.intel
        rows = [
            [_("Laporan Informasi"), intel["reports"]],
            [_("Informasi masyarakat"), intel["tips"]],
        ]
        rows += [
            [_("Bidang %(f)s") % {"f": r["label"]}, r["count"]]
            for r in intel["by_field"]
            if r["count"]
        ]
        rows += [
            [_("Penilaian %(g)s") % {"g": r["label"]}, r["count"]] for r in intel["by_grading"]
        ]
        tables.append(SitrepTable(_("Intelijen yang diterima"), [_("Rincian"), count], rows))
    return tables


def _logistics_tables(lg: dict) -> list[SitrepTable]:
    """Ballots under escort in one table: legs by status, with a problem, and per kecamatan
    the TPS supplied and the TPS results collected; then the legs with a problem, if any."""
    if not lg or not lg.get("total"):
        return []
    rows = [[r["label"], r["n"]] for r in lg["by_status"] if r["n"]]
    rows.append([_("Bermasalah"), lg["problem_count"]])
    rows += [
        [
            p["kecamatan"],
            _("%(s)d/%(t)d TPS menerima, %(c)d/%(t)d hasil terkumpul")
            % {"s": p["supplied"], "c": p["collected"], "t": p["tps"]},
        ]
        for p in lg["progress"]
    ]
    tables = [SitrepTable(_("Logistik pemilu"), [_("Rincian"), _("Jumlah")], rows)]
    if lg["problems"]:
        tables.append(
            SitrepTable(
                _("Masalah logistik"),
                [_("Perjalanan"), _("Rute"), _("Masalah"), _("Keterangan")],
                [[p["code"], p["route"], p["problem"], p["note"]] for p in lg["problems"]],
            )
        )
    return tables


def sitrep_filename(report: Sitrep, ext: str) -> str:
    """e.g. laporan-situasi-internal-20240214-0000-20240215-0000.pdf (times in WIB)."""
    kind = "mitra" if report.partner else "internal"
    start = timezone.localtime(report.start).strftime("%Y%m%d-%H%M")
    end = timezone.localtime(report.end).strftime("%Y%m%d-%H%M")
    return f"laporan-situasi-{kind}-{start}-{end}.{ext}"


def sitrep_csv(report: Sitrep) -> str:
    """The report as CSV: header lines, then each table (title, columns, rows), then the
    notable events and the risks, one sentence a line. Cells are guarded against formulas."""
    out = io.StringIO()
    w = csv_writer(out)

    def row(*cells):
        w.writerow([csv_cell_safe(c) for c in cells])

    row(_("LAPORAN SITUASI"), report.marking)
    for label, value in sitrep_header(report):
        row(label, value)
    for table in sitrep_tables(report):
        row()
        row(table.title)
        row(*table.columns)
        for r in table.rows:
            row(*r)
    row()
    row(_("Kejadian menonjol"))
    for line in report.notable:
        row(line)
    row()
    row(_("Perkiraan risiko periode berikut"))
    for line in report.risks:
        row(line)
    return out.getvalue()


def _font_safe(value) -> str:
    """Text reportlab's built-in fonts (WinAnsi) can draw: any other character becomes '?'
    rather than a blank box. The built-in fonts need no font files on the machine."""
    text = "" if value is None else str(value)
    return text.encode("cp1252", "replace").decode("cp1252")


def _pdf_text(value) -> str:
    """Text for a Paragraph: drawable by the font and escaped for reportlab's mini-markup."""
    return escape(_font_safe(value))


def sitrep_pdf(report: Sitrep) -> bytes:
    """The report as a PDF: A4 portrait, the classification at the top and bottom of every
    page, the period and page numbers ("Halaman 2 dari 3") in the footer."""
    # reportlab (~0.17 s to import) is loaded only by the PDF path, not by every process that
    # serves the pages; this comment covers the block.
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas as rl_canvas
    from reportlab.platypus import (
        KeepTogether,
        ListFlowable,
        ListItem,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], styles["BodyText"].clone("small", fontSize=8, leading=10)
    marking_colour = (
        colors.HexColor(palette.LEVELS["merah"])
        if not report.partner
        else colors.HexColor(palette.BRAND)
    )
    # The canvas draws plain strings (no markup): encoded for the font, not escaped.
    plain_marking = _font_safe(report.marking)
    footer = _font_safe(
        _("Laporan Situasi Polres Metro · %(period)s") % {"period": report.period_text}
    )
    page_label = _("Halaman %(n)d dari %(total)d")

    class NumberedCanvas(rl_canvas.Canvas):
        """Holds each page until the end so the footer can say how many pages there are."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = A4
            self.saveState()
            self.setFillColor(marking_colour)
            self.setFont("Helvetica-Bold", 11)
            self.drawCentredString(width / 2, height - 12 * mm, plain_marking)
            self.drawCentredString(width / 2, 8 * mm, plain_marking)
            self.setFillColor(colors.HexColor(palette.MUTED))
            self.setFont("Helvetica", 8)
            self.drawString(18 * mm, 14 * mm, footer)
            self.drawRightString(
                width - 18 * mm, 14 * mm, page_label % {"n": self._pageNumber, "total": total}
            )
            self.restoreState()

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        title=_("Laporan Situasi Polres Metro"),
        author=report.author,
        subject=report.period_text,
        creator="Sispam",
    )
    story = [
        Paragraph(_pdf_text(_("LAPORAN SITUASI (LAPSIT) POLRES METRO")), styles["Title"]),
    ]
    head = Table(
        [
            [Paragraph(f"<b>{_pdf_text(k)}</b>", body), Paragraph(_pdf_text(v), body)]
            for k, v in sitrep_header(report)
        ],
        colWidths=[40 * mm, None],
    )
    head.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)])
    )
    story += [head, Spacer(1, 4 * mm)]
    grid = TableStyle(
        [
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa3ad")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
        ]
    )
    for table in sitrep_tables(report):
        data = [[Paragraph(f"<b>{_pdf_text(c)}</b>", small) for c in table.columns]]
        data += [[Paragraph(_pdf_text(c), small) for c in r] for r in table.rows]
        first = 70 * mm if len(table.columns) > 2 else 110 * mm
        widths = [first] + [None] * (len(table.columns) - 1)
        if len(table.columns) > 4:
            widths = None
        t = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
        t.setStyle(grid)
        # A short table stays on one page with its title; a long one breaks, its header repeated.
        block = [Paragraph(_pdf_text(table.title), styles["Heading3"]), t]
        story += [KeepTogether(block)] if len(table.rows) <= 25 else block
        story.append(Spacer(1, 3 * mm))
    for title, lines in (
        (_("Kejadian menonjol"), report.notable),
        (_("Perkiraan risiko periode berikut"), report.risks),
    ):
        story.append(Paragraph(_pdf_text(title), styles["Heading3"]))
        story.append(
            ListFlowable(
                [ListItem(Paragraph(_pdf_text(line), body)) for line in lines],
                bulletType="bullet",
                leftIndent=10,
            )
        )
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()

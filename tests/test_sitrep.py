"""The situation report (laporan situasi): its figures match the data, exercises stay out,
the partner version carries no intelligence or personal data, the PDF draws real pages, and
bad periods get a clear 400."""

import csv
import datetime as dt
import io
import json
import uuid
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from command.sitrep import sitrep_build
from command.sitrep_render import sitrep_csv, sitrep_pdf
from incidents.models import Alert, Incident, IntelReport, Tip, TpsReturn, UseOfForce
from incidents.services import (
    dispatch_create,
    dispatch_mark,
    incident_create,
    intel_create,
    tip_create,
    use_of_force_record,
)
from incidents.tps_returns import tps_return_create
from operations.models import Kelurahan, Tps
from operations.reference import reference_load
from personnel.models import BkoContingent, Officer, UnitKind
from tests.factories import OfficerFactory, UnitFactory

WIB = timezone.get_default_timezone()
START = dt.datetime(2024, 2, 14, 0, 0, tzinfo=WIB)
END = START + dt.timedelta(days=1)
QUERY = {"dari": "2024-02-14T00:00", "sampai": "2024-02-15T00:00"}


def at(hours: float) -> dt.datetime:
    return START + dt.timedelta(hours=hours)


def incident(by, *, hours, kelurahan, type="unjuk_rasa", colour="hijau", exercise=False, **extra):
    """An incident filed through the service, then moved to the server time `hours` into
    the period (reported_at is set by the database on insert)."""
    data = {
        "type": type,
        "colour": colour,
        "occurred_at": at(hours),
        "description": extra.pop("description", "Massa berkumpul."),
        "kelurahan": kelurahan,
        "lat": kelurahan.lat,
        "lon": kelurahan.lon,
        **extra,
    }
    made, _ = incident_create(by=by, data=data, idempotency_key=str(uuid.uuid4()))
    Incident.objects.filter(pk=made.pk).update(reported_at=at(hours), is_exercise=exercise)
    made.refresh_from_db()
    return made


@pytest.fixture
def world(personas):
    """Real data for one polling day: a roster, incidents in and out of the period, responses,
    force, alerts, TPS returns, intelligence and tips; and the same again marked as exercise."""
    reference_load()
    komando, intel, lapangan = personas["komando"], personas["intel"], personas["lapangan"]
    kel = {k.name: k for k in Kelurahan.objects.select_related("kecamatan")}
    officers = OfficerFactory.create_batch(12)
    tps = [
        Tps.objects.create(kelurahan=kel[name], number=n, lat=-5.113, lon=105.306, dpt=250)
        for n, name in enumerate(["Metro", "Metro", "Yosomulyo", "Tejosari", "Purwoasri"], 1)
    ]
    spec = [  # (hours into the period, kelurahan, type, colour, casualties, crowd)
        (1, "Metro", "unjuk_rasa", "merah", 2, 300),
        (2, "Metro", "bentrok", "kuning", 0, 80),
        (3, "Yosomulyo", "politik_uang", "hijau", 0, None),
        (5, "Tejosari", "gangguan_tps", "kuning", 1, 40),
        (8, "Purwoasri", "kecelakaan", "hijau", 3, None),
        (9, "Mulyojati", "lainnya", "hijau", 0, None),
        (23.9, "Metro", "hoaks", "hijau", 0, None),
    ]
    made = []
    for hours, name, kind, colour, casualties, crowd in spec:
        made.append(
            incident(
                lapangan,
                hours=hours,
                kelurahan=kel[name],
                type=kind,
                colour=colour,
                casualties=casualties,
                crowd_size=crowd,
                description=f"Dilaporkan oleh {officers[0].name} ({officers[0].nrp}).",
            )
        )
    # Outside the period: before and exactly at its end (the end is exclusive).
    incident(lapangan, hours=-1, kelurahan=kel["Metro"], colour="merah")
    incident(lapangan, hours=24, kelurahan=kel["Metro"], colour="merah")
    # Responses: on scene 6 and 15 minutes after the report.
    for inc, minutes, officer in ((made[0], 6, officers[1]), (made[1], 15, officers[2])):
        Incident.objects.filter(pk=inc.pk).update(status="diverifikasi")
        (d,) = dispatch_create(incident=inc, by=komando, officers=[officer])
        dispatch_mark(dispatch=d, by=komando, step="on_scene", at=timezone.now())
        Incident.objects.filter(pk=inc.pk).update(
            first_on_scene_at=inc.reported_at + dt.timedelta(minutes=minutes)
        )
    force_secret = f"gas air mata, diizinkan {officers[3].name}"
    for stage in (2, 2, 5):
        use_of_force_record(
            incident=made[0],
            by=komando,
            data={
                "stage": stage,
                "used_at": at(1.5),
                "justification": force_secret,
                "officers": f"{officers[4].name} NRP {officers[4].nrp}",
                "authorised_by": f"Kapolres ({officers[3].name})",
                "threat": "lemparan batu",
                "injuries": "dua luka ringan",
                "follow_up": "diperiksa Propam",
            },
        )
    alerts = [
        Alert.objects.create(
            kind="report",
            level="merah",
            title=f"Ancaman dari sumber {officers[5].name}",
            reasons=["informan rahasia menyebut pengerahan massa"],
            kelurahan=kel["Metro"],
            status="closed",
            acknowledged_at=at(2),
            closed_at=at(4),
            escalation=1,
            outcome="massa bubar",
        ),
        Alert.objects.create(
            kind="surge", level="kuning", title="Lonjakan laporan", acknowledged_at=at(6)
        ),
        Alert.objects.create(kind="tps_overdue", level="hijau", title="TPS terlambat"),
    ]
    for i, alert in enumerate(alerts):
        Alert.objects.filter(pk=alert.pk).update(created_at=at(1 + i))
    for tps_row, statuses in zip(
        tps[:3], [["dibuka", "pemungutan"], ["dibuka"], ["dibuka"]], strict=True
    ):
        for i, status in enumerate(statuses):
            r = tps_return_create(by=lapangan, tps=tps_row, status=status)
            TpsReturn.objects.filter(pk=r.pk).update(reported_at=at(7 + i))
    late = tps_return_create(by=lapangan, tps=tps[2], status="selesai")  # after the period
    TpsReturn.objects.filter(pk=late.pk).update(reported_at=at(25))
    li = intel_create(
        by=intel,
        data={
            "subject": "Rencana aksi di KPU",
            "field": "politik",
            "source": f"informan {officers[6].name}",
            "obtained_at": at(3),
            "source_reliability": "B",
            "info_credibility": 2,
            "what": "Massa akan datang ke kantor KPU.",
        },
    )
    IntelReport.objects.filter(pk=li.pk).update(created_at=at(3))
    tip = tip_create(data={"text": "Ada pembagian amplop di RT 03 Metro."})
    Tip.objects.filter(pk=tip.pk).update(created_at=at(4))
    _exercise(lapangan, komando, intel, kel, tps)
    return {"officers": officers, "incidents": made, "force_secret": force_secret, "tps": tps}


def _exercise(lapangan, komando, intel, kel, tps):
    """The same kinds of rows, all marked as an exercise, inside the period."""
    for colour in ("merah", "kuning", "hijau"):
        ex = incident(lapangan, hours=4, kelurahan=kel["Hadimulyo Barat"], colour=colour)
        Incident.objects.filter(pk=ex.pk).update(is_exercise=True)
    ex = Incident.objects.filter(is_exercise=True).first()
    use_of_force_record(
        incident=ex, by=komando, data={"stage": 3, "used_at": at(4), "justification": "latihan"}
    )
    alert = Alert.objects.create(kind="report", level="merah", title="Latihan", is_exercise=True)
    Alert.objects.filter(pk=alert.pk).update(created_at=at(4))
    r = tps_return_create(by=lapangan, tps=tps[4], status="dikirim")
    TpsReturn.objects.filter(pk=r.pk).update(reported_at=at(7), is_exercise=True)
    li = intel_create(
        by=intel,
        data={
            "subject": "Latihan",
            "field": "keamanan",
            "source": "latihan",
            "obtained_at": at(4),
            "source_reliability": "A",
            "info_credibility": 1,
            "what": "Skenario latihan.",
        },
    )
    IntelReport.objects.filter(pk=li.pk).update(created_at=at(4), is_exercise=True)
    tip = tip_create(data={"text": "Skenario latihan sispamkota."})
    Tip.objects.filter(pk=tip.pk).update(created_at=at(4), is_exercise=True)


def counts(rows) -> dict:
    return {r["key"]: r["count"] for r in rows}


def test_the_figures_match_the_data_they_summarise(world):
    report = sitrep_build(start=START, end=END, partner=False, author="uji")
    # Expected figures computed from the rows themselves, not from the selector's queries.
    real = [
        i
        for i in Incident.objects.filter(is_exercise=False).select_related("kelurahan__kecamatan")
        if START <= i.reported_at < END
    ]
    assert len(real) == 7
    inc = report.incidents
    assert inc["total"] == len(real)
    assert {k: n for k, n in counts(inc["by_type"]).items() if n} == Counter(i.type for i in real)
    assert {k: n for k, n in counts(inc["by_colour"]).items() if n} == Counter(
        i.colour for i in real
    )
    assert {k: n for k, n in counts(inc["by_status"]).items() if n} == Counter(
        i.status for i in real
    )
    per_kec = Counter(i.kelurahan.kecamatan.name for i in real)
    assert {r["kecamatan"]: r["total"] for r in inc["by_kecamatan"] if r["total"]} == per_kec
    merah = Counter(i.kelurahan.kecamatan.name for i in real if i.colour == "merah")
    assert {r["kecamatan"]: r["merah"] for r in inc["by_kecamatan"] if r["merah"]} == merah
    assert inc["casualties"] == sum(i.casualties for i in real) == 6
    assert inc["response"] == {"count": 2, "median_s": round((6 + 15) * 60 / 2), "p90_s": 15 * 60}

    al = report.alerts
    assert (al["raised"], al["acknowledged"], al["escalated"], al["closed"], al["open"]) == (
        3,
        2,
        1,
        1,
        2,
    )
    assert counts(al["by_level"]) == {"merah": 1, "kuning": 1, "hijau": 1}

    assert report.force["total"] == 3
    assert {k: n for k, n in counts(report.force["by_stage"]).items() if n} == {2: 2, 5: 1}
    assert len(report.force["entries"]) == 3

    tps_status = counts(report.tps["by_status"])
    assert tps_status["pemungutan"] == 1  # the latest of dibuka, pemungutan
    assert tps_status["dibuka"] == 2  # the third TPS's "selesai" came after the period
    assert tps_status["belum_ada_laporan"] == Tps.objects.count() - 3
    assert sum(tps_status.values()) == report.tps["total"] == Tps.objects.count()

    assert report.intel["reports"] == 1 and report.intel["tips"] == 1
    assert counts(report.intel["by_grading"]) == {"B2": 1}
    assert counts(report.intel["by_field"])["politik"] == 1

    s = report.strength
    assert s["total"] == Officer.objects.count() == 12
    assert s["deployed"] == 0
    assert report.phase["code"] == "penghitungan"
    # Notable events: merah first, then kuning by casualties; hijau never.
    assert len([line for line in report.notable if "situasi" in line]) == 3
    assert "situasi merah" in report.notable[0] and "2 korban" in report.notable[0]
    assert "Metro Pusat" in " ".join(report.risks)


def test_exercise_data_never_reaches_the_figures(world):
    with_exercise = sitrep_build(start=START, end=END, partner=False, author="uji")
    Incident.objects.filter(is_exercise=True).update(is_exercise=False)
    Alert.objects.filter(is_exercise=True).update(is_exercise=False)
    TpsReturn.objects.filter(is_exercise=True).update(is_exercise=False)
    IntelReport.objects.filter(is_exercise=True).update(is_exercise=False)
    Tip.objects.filter(is_exercise=True).update(is_exercise=False)
    as_real = sitrep_build(start=START, end=END, partner=False, author="uji")
    # The exercise rows are there and would count, had they been real ...
    assert as_real.incidents["total"] == with_exercise.incidents["total"] + 3
    assert as_real.alerts["raised"] == with_exercise.alerts["raised"] + 1
    assert as_real.force["total"] == with_exercise.force["total"] + 1
    assert as_real.intel["reports"] == with_exercise.intel["reports"] + 1
    assert as_real.intel["tips"] == with_exercise.intel["tips"] + 1
    assert counts(as_real.tps["by_status"])["dikirim"] == 1
    # ... and as exercises they counted nowhere: not in any figure nor in the words.
    assert counts(with_exercise.tps["by_status"])["dikirim"] == 0
    assert "Hadimulyo" not in " ".join(with_exercise.notable + with_exercise.risks)
    hb = {r["kecamatan"]: r["total"] for r in with_exercise.incidents["by_kecamatan"]}
    # Metro x3 and Yosomulyo; the three exercises in Hadimulyo Barat (Metro Pusat) not counted.
    assert hb["Metro Pusat"] == 4
    assert {r["kecamatan"]: r["total"] for r in as_real.incidents["by_kecamatan"]}[
        "Metro Pusat"
    ] == 7


def _partner_outputs(client_for, api_for, role: str) -> dict[str, str]:
    """Every face of the partner report as text, asked for as `role`."""
    from pypdfium2 import PdfDocument

    client = client_for(role)
    query = {**QUERY, "mitra": "on"}
    page = client.get("/operasi/laporan-situasi/", query)
    csv_response = client.get("/operasi/laporan-situasi/unduh.csv", query)
    pdf_response = client.get("/operasi/laporan-situasi/unduh.pdf", query)
    api = api_for(role).get(
        "/api/v1/sitrep/",
        {"start": START.isoformat(), "end": END.isoformat(), "partner": "true"},
    )
    for r in (page, csv_response, pdf_response, api):
        assert r.status_code == 200
    pdf = PdfDocument(pdf_response.content)
    pdf_text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    html = page.content.decode()
    if role != "penghubung_kpu":
        # The komando's own page chrome (his name, his navigation) is not part of the report.
        html = html[html.index('<article class="card sitrep') : html.index("</article>")]
    return {
        "page": html,
        "csv": csv_response.content.decode(),
        "pdf": pdf_text,
        "api": json.dumps(api.json(), ensure_ascii=False),
    }


@pytest.mark.parametrize("role", ["penghubung_kpu", "komando"])
def test_the_partner_version_carries_no_intelligence_names_or_force_details(
    world, client_for, api_for, personas, role
):
    outputs = _partner_outputs(client_for, api_for, role)
    forbidden = []
    for officer in Officer.objects.all():
        forbidden += [officer.name, officer.nrp, officer.phone]
    forbidden += [
        "informan",  # intelligence sources
        "Rencana aksi di KPU",  # an intelligence subject
        "Laporan Informasi",
        "Ancaman dari sumber",  # an alert's title
        "pengerahan massa",  # an alert's reason
        "massa bubar",  # an alert's outcome
        world["force_secret"],
        "gas air mata, diizinkan",
        "Propam",
        "lemparan batu",
        "Kapolres (",
        "Dilaporkan oleh",  # incident descriptions
        personas["komando"].username,
    ]
    for face, text in outputs.items():
        leaked = [word for word in forbidden if word and word in text]
        assert leaked == [], f"{face} leaks {leaked}"
        assert "TERBATAS" in text, face
    # Accidents and "other" are not election matters: the liaison does not see them anywhere.
    partner = sitrep_build(start=START, end=END, partner=True, author="x")
    assert partner.incidents["total"] == 5
    assert partner.intel is None and "entries" not in partner.force
    assert "by_kind" not in partner.alerts


def test_the_partner_version_is_built_without_reading_intelligence_or_personal_data(world):
    with CaptureQueriesContext(connection) as queries:
        sitrep_build(start=START, end=END, partner=True, author="x")
    sql = "\n".join(q["sql"] for q in queries.captured_queries)
    for table in ("incidents_intelreport", "incidents_tip", "incidents_ewscore", "auth_user"):
        assert table not in sql
    for column in (
        '"personnel_officer"."name"',
        '"personnel_officer"."nrp"',
        '"personnel_officer"."phone"',
        '"incidents_alert"."title"',
        '"incidents_alert"."reasons"',
        '"incidents_alert"."outcome"',
        '"incidents_useofforce"."justification"',
        '"incidents_useofforce"."authorised_by"',
        '"incidents_incident"."description"',
    ):
        assert column not in sql, column


def test_the_liaison_always_gets_the_partner_version_whatever_he_asks(world, client_for, api_for):
    page = client_for("penghubung_kpu").get("/operasi/laporan-situasi/", QUERY)
    assert page.status_code == 200 and page.context["report"].partner is True
    api = api_for("penghubung_kpu").get(
        "/api/v1/sitrep/", {"start": START.isoformat(), "end": END.isoformat(), "partner": "false"}
    )
    assert api.json()["partner"] is True and api.json()["intel"] is None
    internal = client_for("komando").get("/operasi/laporan-situasi/", QUERY)
    assert internal.context["report"].partner is False
    assert "RAHASIA" in internal.content.decode()
    assert world["force_secret"] in internal.content.decode()


def test_the_pdf_renders_pages_with_visible_content(world):
    from pypdfium2 import PdfDocument

    for partner in (False, True):
        data = sitrep_pdf(sitrep_build(start=START, end=END, partner=partner, author="uji"))
        assert data.startswith(b"%PDF-")
        pdf = PdfDocument(data)
        assert len(pdf) >= 1
        for i in range(len(pdf)):
            page = pdf[i]
            assert (round(page.get_width()), round(page.get_height())) == (595, 842)  # A4
            image = page.render(scale=1).to_pil().convert("L")
            dark = sum(1 for v in image.getdata() if v < 200)
            assert dark > 0.005 * image.width * image.height, f"page {i + 1} looks empty"
        text = pdf[0].get_textpage().get_text_range()
        assert "LAPORAN SITUASI" in text and "Halaman 1 dari" in text


def test_the_csv_matches_the_figures_and_guards_against_formulas(world):
    home = UnitFactory(kind=UnitKind.EXTERNAL)
    BkoContingent.objects.create(code="x", name="=HYPERLINK(1)", home_unit=home, strength=5)
    report = sitrep_build(start=START, end=END, partner=False, author="uji")
    rows = list(csv.reader(io.StringIO(sitrep_csv(report))))
    assert rows[0] == ["LAPORAN SITUASI", "RAHASIA"]
    assert any(r and r[0] == "'=HYPERLINK(1)" for r in rows)
    assert not any(r and r[0].startswith("=") for r in rows)
    at_type = rows.index(["Kejadian per jenis"])
    by_type = {r[0]: int(r[1]) for r in rows[at_type + 2 : at_type + 12]}
    assert by_type["unjuk rasa"] == 1 and by_type["kecelakaan"] == 1


@pytest.mark.parametrize(
    "query",
    [
        {"dari": "2024-02-15T00:00", "sampai": "2024-02-14T00:00"},  # reversed
        {"dari": "2024-02-14T00:00", "sampai": "2024-02-14T00:00"},  # empty
        {"dari": "2024-01-01T00:00", "sampai": "2024-03-01T00:00"},  # longer than 31 days
        {"dari": "kemarin", "sampai": "2024-02-14T00:00"},
        {"dari": "2024-02-14T00:00"},
    ],
)
def test_a_bad_period_gets_a_400_naming_the_field(client_for, api_for, db, query):
    client = client_for("komando")
    page = client.get("/operasi/laporan-situasi/", query)
    assert page.status_code == 400
    assert page.context["form"].errors
    for url in ("/operasi/laporan-situasi/unduh.pdf", "/operasi/laporan-situasi/unduh.csv"):
        response = client.get(url, query)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/plain")
    api_query = {"start": query.get("dari"), "end": query.get("sampai")}
    api = api_for("komando").get(
        "/api/v1/sitrep/", {k: v for k, v in api_query.items() if v is not None}
    )
    assert api.status_code == 400
    assert set(api.json()) & {"start", "end"}


def test_the_page_defaults_to_the_last_24_hours_and_links_the_same_period(db, client_for):
    reference_load()
    page = client_for("intel").get("/operasi/laporan-situasi/")
    assert page.status_code == 200
    report = page.context["report"]
    assert report.end - report.start == dt.timedelta(days=1)
    assert abs((timezone.now() - report.end).total_seconds()) < 120
    html = page.content.decode()
    assert f"unduh.pdf?{page.context['query']}" in html.replace("&amp;", "&")
    assert "/operasi/laporan-situasi/" in client_for("penghubung_kpu").get("/kpu/").content.decode()
    assert (
        'href="/operasi/laporan-situasi/"'
        in client_for("komando").get("/operasi/dasbor/").content.decode()
    )


def test_the_command_writes_each_format_with_its_author(world, tmp_path):
    for fmt in ("pdf", "csv", "html", "json"):
        out = tmp_path / f"lapsit.{fmt}"
        call_command(
            "sitrep",
            "--from",
            "2024-02-14T00:00",
            "--to",
            "2024-02-15",
            "--format",
            fmt,
            "--output",
            str(out),
            "--partner",
            "--author",
            "Kabag Ops",
            stderr=io.StringIO(),
        )
        data = out.read_bytes()
        assert data
        if fmt != "pdf":
            text = data.decode()
            assert "Kabag Ops" in text and "TERBATAS" in text
            assert world["officers"][0].nrp not in text
    as_json = json.loads((tmp_path / "lapsit.json").read_text())
    assert as_json["incidents"]["total"] == 5 and as_json["partner"] is True
    with pytest.raises(CommandError, match="sesudah"):
        call_command("sitrep", "--from", "2024-02-15", "--to", "2024-02-14", "--format", "csv")
    with pytest.raises(CommandError, match="ISO"):
        call_command("sitrep", "--from", "besok", "--to", "2024-02-14", "--format", "csv")


def test_the_figures_are_the_same_on_the_page_the_api_and_the_csv(world, client_for, api_for):
    api = api_for("komando").get(
        "/api/v1/sitrep/", {"start": START.isoformat(), "end": END.isoformat()}
    )
    page = client_for("komando").get("/operasi/laporan-situasi/", QUERY)
    data = api.json()
    assert data["incidents"] == json.loads(json.dumps(page.context["report"].incidents))
    assert data["alerts"] == json.loads(json.dumps(page.context["report"].alerts))
    assert (
        data["force"]["total"]
        == 3
        == UseOfForce.objects.filter(incident__is_exercise=False).count()
    )
    rows = list(
        csv.reader(
            io.StringIO(
                client_for("komando")
                .get("/operasi/laporan-situasi/unduh.csv", QUERY)
                .content.decode()
            )
        )
    )
    assert ["Jumlah", str(data["incidents"]["total"])] in rows

"""BKO and the roster in pages (issue #18): ask Polda, record its answer, announce and check a
contingent in, release it; an officer's own page from the roster."""

import pytest

from operations.models import Assignment
from personnel.models import BkoContingent, BkoRequest, Officer, OfficerStatusChange
from personnel.services import officer_set_status
from tests.factories import AssignmentFactory, OfficerFactory

ROSTER = (
    "nrp,name,rank,phone,function\n"
    "87050101,Andi Saputra,bripda,,Dalmas\n"
    "87050102,Budi Santoso,Briptu,,Dalmas\n"
)


def _post(client, **data):
    return client.post("/personel/bko/", data, follow=True)


@pytest.fixture
def komando(client_for):
    return client_for("komando")


def test_komando_runs_a_bko_request_from_ask_to_release(db, komando):
    page = _post(
        komando,
        op="request",
        kind="Brimob",
        count="100",
        location="KPU Kota Metro",
        reason="Rekapitulasi tingkat kota",
        needed_from="2026-12-05T06:00",
        needed_until="2026-12-07T23:00",
    )
    assert "diajukan ke Polda" in page.content.decode()
    asked = BkoRequest.objects.get()
    assert asked.status == "diajukan" and asked.count == 100
    _post(
        komando,
        op="decide",
        request=asked.pk,
        approved_count="60",
        note="sisa dari Polres tetangga",
    )
    asked.refresh_from_db()
    assert (asked.status, asked.approved_count) == ("sebagian", 60)
    _post(
        komando,
        op="contingent",
        request=asked.pk,
        name="Brimob Kompi 2",
        home_unit="Sat Brimob Polda Lampung",
        strength="60",
    )
    contingent = BkoContingent.objects.get()
    assert contingent.status == "expected"
    page = _post(komando, op="checkin", contingent=contingent.pk, roster=ROSTER)
    assert "2 personel Brimob Kompi 2 dicatat tiba" in page.content.decode()
    contingent.refresh_from_db()
    assert contingent.status == "arrived" and contingent.officers.count() == 2
    refused = komando.post("/personel/bko/", {"op": "release", "contingent": contingent.pk})
    assert refused.status_code == 400
    _post(komando, op="release", contingent=contingent.pk, confirm="1")
    contingent.refresh_from_db()
    assert contingent.status == "released"
    listing = komando.get("/personel/bko/").content.decode()
    assert 'id="bko-request-form"' in listing and "Brimob Kompi 2" in listing


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"op": "request", "kind": "Brimob", "count": "banyak"}, "angka"),
        (
            {
                "op": "request",
                "kind": "Brimob",
                "count": "5",
                "location": "x",
                "reason": "y",
                "needed_from": "besok",
            },
            "YYYY-MM-DD",
        ),
        ({"op": "hapus"}, "tidak dikenal"),
        # Out of range: a year the database's UTC cannot hold, a count past its column.
        (
            {
                "op": "request",
                "kind": "Brimob",
                "count": "5",
                "location": "x",
                "reason": "y",
                "needed_from": "0001-01-01T00:00",
                "needed_until": "0001-01-02T00:00",
            },
            "tahun 2000",
        ),
        (
            {
                "op": "request",
                "kind": "Brimob",
                "count": "99999999999999999999",
                "location": "x",
                "reason": "y",
                "needed_from": "2027-04-20T07:00",
                "needed_until": "2027-04-22T07:00",
            },
            "2147483647",
        ),
    ],
)
def test_bad_input_is_a_400_with_a_message_and_nothing_saved(db, komando, data, message):
    answer = komando.post("/personel/bko/", data)
    assert answer.status_code == 400 and message in answer.content.decode()
    assert not BkoRequest.objects.exists()


def test_a_roster_with_a_bad_row_checks_nobody_in(db, komando):
    contingent = BkoContingent.objects.create(
        code="bko-x", name="X", home_unit=OfficerFactory().unit, strength=5
    )
    bad = ROSTER + "1234,Tanpa NRP,bripda,,\n"
    answer = komando.post(
        "/personel/bko/", {"op": "checkin", "contingent": contingent.pk, "roster": bad}
    )
    assert answer.status_code == 400 and "NRP harus 8 angka" in answer.content.decode()
    assert not Officer.objects.filter(contingent=contingent).exists()


def test_only_komando_acts_and_the_liaison_reads_nothing(db, client_for):
    assert client_for("intel").get("/personel/bko/").status_code == 200
    assert client_for("intel").post("/personel/bko/", {"op": "request"}).status_code == 403
    assert client_for("penghubung_kpu").get("/personel/bko/").status_code == 403


def test_an_officer_page_shows_his_history_assignments_and_dispatches(db, personas, client_for):
    assignment = AssignmentFactory()
    officer = assignment.officer
    officer_set_status(officer=officer, by=personas["komando"], status="sakit_cuti", note="demam")
    page = client_for("komando").get(f"/personel/{officer.pk}/").content.decode()
    assert officer.name in page and officer.nrp in page
    assert assignment.post.name in page and "demam" in page
    assert OfficerStatusChange.objects.filter(officer=officer).count() == 1
    roster = client_for("komando").get("/personel/", {"q": officer.nrp}).content.decode()
    assert f'href="/personel/{officer.pk}/"' in roster
    assert client_for("penghubung_kpu").get(f"/personel/{officer.pk}/").status_code == 403
    assert client_for("lapangan").get(f"/personel/{officer.pk}/").status_code == 403
    assert client_for("komando").get("/personel/999999/").status_code == 404
    assert Assignment.objects.count() == 1

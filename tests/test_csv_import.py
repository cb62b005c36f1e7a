"""CSV import and export of officers, BKO rosters and TPS: all rows or none, errors by line."""

import io
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.csv_io import MAX_BYTES, TextProgressBar
from core.models import AuditEvent
from operations.csv_io import tps_export, tps_import
from operations.reference import reference_load
from personnel.csv_io import (
    bko_roster_export,
    bko_roster_import,
    officers_export,
    officers_import,
)
from personnel.models import (
    BkoContingent,
    Officer,
    OfficerStatusChange,
    Rank,
    Satgas,
    Unit,
    UnitKind,
)

OFFICER_HEADER = "nrp,name,rank,unit_code,function,phone,status,satgas_code,contingent_code\n"
TPS_HEADER = (
    "kelurahan,number,address,lat,lon,dpt,is_khusus,khusus_kind,indicators,"
    "category_override,override_reason,category\n"
)


@pytest.fixture
def roster(db):
    """Two Polres units, one BKO contingent from outside, three officers."""
    reference_load()
    samapta = Unit.objects.create(code="sat-samapta", name="Sat Samapta", kind=UnitKind.SAT)
    Unit.objects.create(code="sat-lantas", name="Sat Lantas", kind=UnitKind.SAT)
    home = Unit.objects.create(code="brimob-home", name="Sat Brimob", kind=UnitKind.EXTERNAL)
    contingent = BkoContingent.objects.create(
        code="bko-brimob", name="BKO Sat Brimob", home_unit=home, strength=10
    )
    preventif = Satgas.objects.get(code="preventif")
    Officer.objects.create(
        nrp="85010001",
        name="Andi Saputra",
        rank=Rank.BRIPKA,
        unit=samapta,
        function="Anggota Sat Samapta",
        phone="081234567890",
        satgas=preventif,
    )
    Officer.objects.create(
        nrp="80020002", name="Budi Santoso", rank=Rank.KOMBES, unit=samapta, phone="+62 812 111"
    )
    Officer.objects.create(
        nrp="90030003",
        name='Citra, "Ayu" Lestari',
        rank=Rank.BRIPDA,
        unit=home,
        function="Anggota BKO",
        contingent=contingent,
        satgas=preventif,
    )
    return contingent


def export_officers() -> str:
    buf = io.StringIO()
    officers_export(buf)
    return buf.getvalue()


def export_tps() -> str:
    buf = io.StringIO()
    tps_export(buf)
    return buf.getvalue()


def tps_file(*rows: str) -> bytes:
    return (TPS_HEADER + "".join(r + "\n" for r in rows)).encode()


def officer_file(*rows: str) -> bytes:
    return (OFFICER_HEADER + "".join(r + "\n" for r in rows)).encode()


def officer_snapshot() -> list:
    return sorted(
        Officer.objects.values_list(
            "nrp",
            "name",
            "rank",
            "unit__code",
            "function",
            "phone",
            "status",
            "satgas__code",
            "contingent__code",
        )
    )


# Officers


def test_an_exported_officer_list_imports_back_unchanged(roster, personas):
    text = export_officers()
    assert text.splitlines()[0] == OFFICER_HEADER.strip()
    assert "85010001,Andi Saputra,Bripka,sat-samapta" in text
    before = officer_snapshot()

    result = officers_import(data=text.encode(), by=personas["komando"])

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    assert officer_snapshot() == before
    assert export_officers() == text


def test_an_officer_import_creates_new_officers_and_updates_known_ones(roster, personas):
    data = officer_file(
        "85010001,Andi Saputra,bripka,sat-lantas,Anggota Sat Lantas,0812 3456,luka,,",
        "99120004,Dewi Kartika,BRIPTU,sat-samapta,,,,preventif,",
        "99120005,Eko Prasetyo,14,sat-samapta,Kanit,+6281,sakit/cuti,,",
    )

    result = officers_import(data=data, by=personas["komando"])

    assert result.errors == []
    assert (result.created, result.updated) == (2, 1)
    andi = Officer.objects.get(nrp="85010001")
    assert (andi.unit.code, andi.status, andi.satgas, andi.phone) == (
        "sat-lantas",
        "luka",
        None,
        "0812 3456",
    )
    assert Officer.objects.get(nrp="99120004").rank == Rank.BRIPTU
    eko = Officer.objects.get(nrp="99120005")
    assert (eko.rank, eko.status) == (Rank.IPTU, "sakit_cuti")
    change = OfficerStatusChange.objects.get(officer=andi)
    assert (change.from_status, change.to_status, change.by) == (
        "siaga",
        "luka",
        personas["komando"],
    )


def test_columns_left_out_of_the_file_are_kept_as_they_were(roster, personas):
    data = b"nrp;name;rank;unit_code\n85010001;Andi Saputra;Brigpol;sat-samapta\n"

    result = officers_import(data=data, by=personas["komando"])

    assert (result.errors, result.updated) == ([], 1)
    andi = Officer.objects.get(nrp="85010001")
    assert andi.rank == Rank.BRIGPOL
    assert (andi.phone, andi.satgas.code) == ("081234567890", "preventif")


def test_a_file_with_one_bad_row_changes_nothing_and_names_its_line_and_field(roster, personas):
    before = officer_snapshot()
    data = officer_file(
        "99120004,Dewi Kartika,Briptu,sat-samapta,,,,,",
        "85010001,Andi Saputra,Bripka,sat-lantas,,,,,",
        "1234567,Fajar Nugroho,Bripda,sat-samapta,,,,,",
        "99120006,Gita Permata,Bripda,sat-samapta,,,,,",
    )

    result = officers_import(data=data, by=personas["komando"])

    assert [(e.line, e.field) for e in result.errors] == [(4, "nrp")]
    assert "NRP harus 8 angka" in result.errors[0].message
    assert (result.created, result.updated) == (0, 0)
    assert officer_snapshot() == before
    assert not AuditEvent.objects.filter(action="officers.import").exists()


def test_every_bad_cell_of_a_file_is_reported_at_once(roster, personas):
    data = officer_file(
        "99120004,,Jenderal Besar,sat-x,,08-12,mabuk,satgas-x,bko-x",
        "99120005,Hadi,Bripda,brimob-home,,,,,bko-brimob",
        "99120006,Indah,Bripda,sat-samapta,,,,,bko-brimob",
    )

    result = officers_import(data=data, by=personas["komando"])

    found = {(e.line, e.field) for e in result.errors}
    assert found == {
        (2, "name"),
        (2, "rank"),
        (2, "unit_code"),
        (2, "phone"),
        (2, "status"),
        (2, "satgas_code"),
        (2, "contingent_code"),
        (4, "unit_code"),
    }
    assert Officer.objects.count() == 3


def test_a_duplicate_nrp_in_the_file_is_reported_on_its_second_line(roster, personas):
    data = officer_file(
        "99120004,Dewi Kartika,Briptu,sat-samapta,,,,,",
        "85010001,Andi Saputra,Bripka,sat-samapta,,,,,",
        "99120004,Dewi K.,Briptu,sat-samapta,,,,,",
    )

    result = officers_import(data=data, by=personas["komando"])

    assert [(e.line, e.field) for e in result.errors] == [(4, "nrp")]
    assert "baris 2" in result.errors[0].message
    assert not Officer.objects.filter(nrp="99120004").exists()


def test_a_file_with_wrong_columns_lists_the_missing_and_unknown_ones(roster, personas):
    data = b"nrp,nama,pangkat,unit_code\n99120004,Dewi,Briptu,sat-samapta\n"

    result = officers_import(data=data, by=personas["komando"])

    messages = {e.message.split(" (")[0] for e in result.errors}
    assert messages == {"kolom hilang: name, rank", "kolom tidak dikenal: nama, pangkat"}
    assert all((e.line, e.field) == (1, "header") for e in result.errors)


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ((OFFICER_HEADER + "99120004,Bripka,").encode("utf-16"), 1),
        ((OFFICER_HEADER + "99120004,Bripka,").encode("utf-16-le"), 1),
        (
            officer_file(
                "99120004,Dewi,Briptu,sat-samapta,,,,,", "99120005,José,Briptu,sat-samapta,,,,,"
            ).replace("José".encode(), "José".encode("latin-1")),
            3,
        ),
    ],
    ids=["utf-16", "utf-16-without-bom", "latin-1"],
)
def test_a_file_that_is_not_utf8_is_refused_with_the_line_of_the_first_bad_byte(
    roster, personas, data, line
):
    result = officers_import(data=data, by=personas["komando"])

    assert len(result.errors) == 1
    assert result.errors[0].line == line
    assert "bukan UTF-8" in result.errors[0].message
    assert Officer.objects.count() == 3


def test_a_spreadsheet_file_with_a_bom_and_semicolons_is_read(roster, personas):
    data = "\ufeffnrp;name;rank;unit_code\r\n99120004;Dewi Kartika;Briptu;sat-samapta\r\n;;;\r\n"

    result = officers_import(data=data.encode(), by=personas["komando"])

    assert (result.errors, result.created) == ([], 1)


def test_a_50_mb_file_is_refused_before_it_is_parsed(roster, personas):
    big = b"x" * (50 * 1024 * 1024)
    started = time.perf_counter()

    result = officers_import(data=big, by=personas["komando"])

    assert time.perf_counter() - started < 1
    assert [(e.line, e.field) for e in result.errors] == [(0, "file")]
    assert "terlalu besar: 50 MB" in result.errors[0].message


def test_a_large_upload_is_read_no_further_than_the_limit(roster, personas):
    upload = io.BytesIO(b"x" * (50 * 1024 * 1024))

    result = officers_import(data=upload, by=personas["komando"])

    assert "terlalu besar" in result.errors[0].message
    assert upload.tell() == MAX_BYTES + 1


def test_a_formula_in_a_name_is_defused_on_export_and_restored_on_import(roster, personas):
    Officer.objects.filter(nrp="85010001").update(name="=HYPERLINK(1)")

    text = export_officers()

    assert "'=HYPERLINK(1)" in text
    assert "+62 812 111" in text  # a phone number is not a formula
    result = officers_import(data=text.encode(), by=personas["komando"])
    assert (result.errors, result.updated) == ([], 0)


# BKO rosters


def test_a_bko_roster_checks_the_contingent_in_with_its_officers(roster, personas):
    data = b"nrp,name,rank,phone\n97010011,Joko,bripda,0813\n97010012,Kurnia,Bharada,\n"

    result = bko_roster_import(contingent=roster, data=data, by=personas["komando"])

    assert (result.errors, result.created) == ([], 2)
    roster.refresh_from_db()
    assert roster.status == BkoContingent.Status.ARRIVED
    assert roster.arrived_at is not None
    joko = Officer.objects.get(nrp="97010011")
    assert (joko.contingent, joko.unit, joko.rank) == (roster, roster.home_unit, Rank.BRIPDA)
    buf = io.StringIO()
    assert bko_roster_export(buf, roster) == 3
    assert buf.getvalue().splitlines()[0] == "nrp,name,rank,phone,function"


def test_a_bko_roster_refuses_an_nrp_that_is_already_registered(roster, personas):
    data = b"nrp,name,rank,phone\n97010011,Joko,Bripda,\n85010001,Andi,Bripka,\n"

    result = bko_roster_import(contingent=roster, data=data, by=personas["komando"])

    assert [(e.line, e.field) for e in result.errors] == [(3, "nrp")]
    assert "sudah terdaftar" in result.errors[0].message
    assert not Officer.objects.filter(nrp="97010011").exists()
    roster.refresh_from_db()
    assert roster.status == BkoContingent.Status.EXPECTED


def test_a_bko_roster_refuses_an_nrp_twice_in_the_file(roster, personas):
    data = b"nrp,name,rank,phone\n97010011,Joko,Bripda,\n97010011,Joko,Bripda,\n"

    result = bko_roster_import(contingent=roster, data=data, by=personas["komando"])

    assert [(e.line, e.field) for e in result.errors] == [(3, "nrp")]
    assert not Officer.objects.filter(nrp="97010011").exists()


def test_a_released_contingent_takes_no_roster(roster, personas):
    roster.status = BkoContingent.Status.RELEASED
    roster.save(update_fields=["status"])

    result = bko_roster_import(
        contingent=roster, data=b"nrp,name,rank\n97010011,Joko,Bripda\n", by=personas["komando"]
    )

    assert "dikembalikan" in result.errors[0].message


# TPS


def test_an_update_is_audited_with_the_values_before_and_after(roster, personas):
    data = officer_file("85010001,Andi Saputra,Bripka,sat-samapta,,0811,siaga,preventif,")

    officers_import(data=data, by=personas["komando"])

    note = AuditEvent.objects.get(action="officers.import").note
    assert "85010001: function 'Anggota Sat Samapta' → ''" in note
    assert "phone '081234567890' → '0811'" in note


# Management commands


def test_the_import_command_exits_non_zero_on_a_bad_file_and_prints_each_error(roster, tmp_path):
    path = tmp_path / "personel.csv"
    path.write_bytes(
        officer_file("99120004,Dewi,Briptu,sat-samapta,,,,,", "99120005,Eko,Kopral,sat-x,,,,,")
    )
    err = io.StringIO()

    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("import_officers", str(path), stdout=io.StringIO(), stderr=err)

    assert "line 3, field rank: pangkat tidak dikenal: Kopral" in err.getvalue()
    assert "line 3, field unit_code: satuan tidak dikenal: sat-x" in err.getvalue()
    assert not Officer.objects.filter(nrp="99120004").exists()


def test_the_import_command_reports_what_it_created_and_updated(roster, tmp_path):
    path = tmp_path / "personel.csv"
    path.write_bytes(
        officer_file(
            "99120004,Dewi,Briptu,sat-samapta,,,,,", "85010001,Andi,Bripka,sat-samapta,,,,,"
        )
    )
    out, err = io.StringIO(), io.StringIO()

    call_command("import_officers", str(path), "--dry-run", stdout=out, stderr=err)
    assert "would have created 1, updated 1" in out.getvalue()
    assert not Officer.objects.filter(nrp="99120004").exists()

    call_command("import_officers", str(path), stdout=out, stderr=err)
    assert out.getvalue().endswith("\ncreated 1, updated 1\n")
    assert "[##############################] 2/2" in err.getvalue()
    assert Officer.objects.filter(nrp="99120004").exists()


def test_the_progress_bar_redraws_in_place_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = TextProgressBar(stream, width=10)
    for done in range(1, 463):
        bar("memeriksa", done, 462)

    assert "\rmemeriksa [#####.....] 231/462" in stream.getvalue()
    assert stream.getvalue().endswith("\rmemeriksa [##########] 462/462\n")
    assert stream.getvalue().count("\r") == 11  # empty bar, then once per step


# The size of the Kota Metro demo


def test_the_demo_roster_and_tps_list_round_trip_in_well_under_a_few_seconds(personas):
    call_command("seed_demo", "--allow-production", verbosity=0)
    officers, tps = export_officers(), export_tps()
    assert len(officers.splitlines()) == 826
    assert len(tps.splitlines()) == 463

    # About 0.3-1.5 s alone; the bound is loose so a busy CI box does not flake.
    started = time.perf_counter()
    result = officers_import(data=officers.encode(), by=personas["komando"])
    assert time.perf_counter() - started < 10
    assert (result.errors, result.unchanged) == ([], 825)

    # Every phone number changed: 825 updates in one go.
    changed = officers.replace(",08", ",628")
    started = time.perf_counter()
    result = officers_import(data=changed.encode(), by=personas["komando"])
    assert time.perf_counter() - started < 10
    assert (result.errors, result.updated) == ([], 825)
    assert export_officers() == changed

    started = time.perf_counter()
    result = tps_import(data=tps.encode(), by=personas["komando"])
    assert time.perf_counter() - started < 10
    assert (result.errors, result.unchanged) == ([], 462)
    assert export_tps() == tps

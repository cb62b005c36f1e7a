"""CSV of the TPS list: export and import back, the category computed and an override kept,
bad rows refused by line and field, audit, and the commands (officers: test_csv_import.py)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEvent
from operations.csv_io import tps_import
from operations.models import Kelurahan, Tps
from operations.reference import reference_load
from personnel.csv_io import bko_roster_import, officers_import
from personnel.models import Officer
from tests import test_csv_import as officers_csv
from tests.test_csv_import import export_officers, export_tps, officer_file, tps_file

roster = officers_csv.roster  # the officers' fixture, shared


@pytest.fixture
def polling_stations(db):
    reference_load()
    metro = Kelurahan.objects.get(name="Metro")
    imopuro = Kelurahan.objects.get(name="Imopuro")
    Tps.objects.create(
        kelurahan=metro, number=1, address="Jl. A, RT 001", lat=-5.1135, lon=105.3065, dpt=250
    )
    Tps.objects.create(
        kelurahan=imopuro,
        number=7,
        address="RSUD",
        lat=-5.11851,
        lon=105.298512,
        dpt=90,
        is_khusus=True,
        khusus_kind="rumah sakit",
        indicators=["logistik", "politik_uang"],
        category_computed="rawan",
        category_override="sangat_rawan",
        override_reason="laporan intel",
        category="sangat_rawan",
    )
    return metro


def tps_snapshot() -> list:
    return sorted(
        Tps.objects.values_list(
            "kelurahan__name",
            "number",
            "address",
            "lat",
            "lon",
            "dpt",
            "is_khusus",
            "khusus_kind",
            "indicators",
            "category_computed",
            "category_override",
            "override_reason",
            "category",
        )
    )


def test_an_exported_tps_list_imports_back_unchanged(polling_stations, personas):
    text = export_tps()
    assert "logistik|politik_uang" in text
    before = tps_snapshot()

    result = tps_import(data=text.encode(), by=personas["komando"])

    assert (result.errors, result.created, result.updated, result.unchanged) == ([], 0, 0, 2)
    assert tps_snapshot() == before
    assert export_tps() == text


def test_a_tps_import_computes_the_category_and_keeps_an_override(polling_stations, personas):
    data = tps_file(
        "metro,1,Jl. A,-5.1135,105.3065,250,0,,riwayat_kekerasan|intimidasi,,,kurang_rawan",
        "IMOPURO,7,RSUD,-5.11851,105.298512,90,ya,rumah sakit,,sangat rawan,laporan intel,",
        'Yosomulyo,3,"Jl. B, RT 2","-5,1195","105,3175",0,false,,"dekat_posko;logistik",,,',
    )

    result = tps_import(data=data, by=personas["komando"])

    assert (result.errors, result.created, result.updated) == ([], 1, 2)
    metro = Tps.objects.get(kelurahan__name="Metro", number=1)
    assert (metro.category_computed, metro.category) == ("sangat_rawan", "sangat_rawan")
    rsud = Tps.objects.get(kelurahan__name="Imopuro", number=7)
    assert (rsud.indicators, rsud.category_computed, rsud.category) == (
        [],
        "kurang_rawan",
        "sangat_rawan",
    )
    new = Tps.objects.get(kelurahan__name="Yosomulyo", number=3)
    assert (new.lat, new.address, new.indicators, new.category) == (
        -5.1195,
        "Jl. B, RT 2",
        ["dekat_posko", "logistik"],
        "rawan",
    )


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ("Metro,2,,-5.3,105.30,100,0,,,,,", "lat", "di luar wilayah Kota Metro"),
        ("Metro,2,,-5.11,106.1,100,0,,,,,", "lon", "di luar wilayah Kota Metro"),
        ("Metro,2,,-5.11,105.30,-5,0,,,,,", "dpt", "DPT harus bilangan bulat tidak negatif"),
        ("Bandar Lampung,2,,-5.11,105.30,100,0,,,,,", "kelurahan", "kelurahan tidak dikenal"),
        ("Metro,0,,-5.11,105.30,100,0,,,,,", "number", "nomor TPS harus bilangan bulat positif"),
        ("Metro,2,,utara,105.30,100,0,,,,,", "lat", "lat harus angka desimal"),
        ("Metro,2,,-5.11,105.30,100,mungkin,,,,,", "is_khusus", "is_khusus harus"),
        ("Metro,2,,-5.11,105.30,100,0,,banjir,,,", "indicators", "indikator tidak dikenal"),
        ("Metro,2,,-5.11,105.30,100,0,,,aman,,", "category_override", "kategori tidak dikenal"),
        ("Metro,2,,-5.11,105.30,100,0,,,rawan,,", "override_reason", "alasan wajib diisi"),
        ("Metro,1,,-5.11,105.30,100,0,,,,,", "number", "TPS ganda dalam berkas"),
    ],
    ids=[
        "outside-the-city-south",
        "outside-the-city-east",
        "negative-dpt",
        "unknown-kelurahan",
        "number-zero",
        "lat-not-a-number",
        "is-khusus-unclear",
        "unknown-indicator",
        "unknown-category",
        "override-without-reason",
        "duplicate-tps",
    ],
)
def test_a_bad_tps_row_is_refused_by_line_and_field_and_nothing_is_written(
    polling_stations, personas, row, field, message
):
    before = tps_snapshot()
    data = tps_file("Metro,1,Jl. A,-5.1135,105.3065,260,0,,,,,", row)

    result = tps_import(data=data, by=personas["komando"])

    assert [(e.line, e.field) for e in result.errors] == [(3, field)]
    assert message in result.errors[0].message
    assert tps_snapshot() == before


# Audit


def test_each_successful_import_is_audited_once(roster, polling_stations, personas):
    komando = personas["komando"]
    officers_import(data=officer_file("99120004,Dewi,Briptu,sat-samapta,,,,,"), by=komando)
    tps_import(data=tps_file("Metro,2,,-5.11,105.30,100,0,,,,,"), by=komando)
    bko_roster_import(contingent=roster, data=b"nrp,name,rank\n97010011,Joko,Bripda\n", by=komando)

    for action in ("officers.import", "tps.import", "bko.roster_import"):
        event = AuditEvent.objects.get(action=action)
        assert event.actor == komando
        assert event.changes == {"created": [None, 1], "updated": [None, 0]}
    assert "99120004" in AuditEvent.objects.get(action="officers.import").note
    assert AuditEvent.objects.get(action="bko.roster_import").object_id == str(roster.pk)


def test_the_tps_and_roster_commands_fail_on_a_bad_file(roster, polling_stations, tmp_path):
    tps = tmp_path / "tps.csv"
    tps.write_bytes(tps_file("Metro,2,,-6.0,105.30,100,0,,,,,"))
    with pytest.raises(CommandError):
        call_command("import_tps", str(tps), stdout=io.StringIO(), stderr=io.StringIO())
    bko = tmp_path / "bko.csv"
    bko.write_bytes(b"nrp,name,rank\n85010001,Andi,Bripka\n")
    with pytest.raises(CommandError):
        call_command(
            "import_bko_roster",
            str(bko),
            "--contingent",
            roster.code,
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    with pytest.raises(CommandError, match="unknown contingent"):
        call_command("import_bko_roster", str(bko), "--contingent", "bko-x")
    assert Tps.objects.count() == 2
    assert Officer.objects.count() == 3


def test_the_export_commands_write_to_stdout_or_a_file(roster, polling_stations, tmp_path):
    out = io.StringIO()
    call_command("export_tps", stdout=out, stderr=io.StringIO())
    assert out.getvalue() == export_tps()

    path = tmp_path / "personel.csv"
    call_command("export_officers", "--output", str(path), stderr=io.StringIO())
    assert path.read_bytes().decode("utf-8-sig") == export_officers()
    call_command("import_officers", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert AuditEvent.objects.get(action="officers.import").changes["updated"] == [None, 0]

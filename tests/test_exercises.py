"""Sispamkota exercises without the real stack: scenario validation, the shipped scenarios, the
scenario form, idempotent injects, the pages and the embedded default."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from command import exercises
from command.scenario import scenario_file_read, scenario_files, scenario_save, scenario_validate
from incidents.ew import Engine, Report
from incidents.models import Alert, Incident, TpsReturn
from operations.models import ExerciseInject, ExerciseRun, Kelurahan, Scenario, Tps
from operations.reference import reference_load

SMALL = {
    "name": "uji-kecil",
    "title": "Uji kecil",
    "injects": [
        {
            "offset": 0,
            "kind": "incident",
            "ref": "a",
            "data": {
                "type": "perusakan",
                "colour": "kuning",
                "description": "Massa melempari kantor KPU dengan batu dan membakar ban, "
                "dua petugas terluka",
                "kelurahan": "Metro",
            },
            "expect": {"alert": "merah", "alert_within": "2m", "dispatch_within": "5m"},
        },
        {
            "offset": "1m",
            "kind": "escalate",
            "data": {"target": "a", "colour": "merah"},
            "expect": {"force": "phh"},
        },
        {
            "offset": "2m",
            "kind": "tps_return",
            "data": {"tps": {"kelurahan": "Metro", "number": 1}, "status": "dibuka"},
        },
    ],
}


@pytest.fixture
def places(db):
    reference_load()
    return Tps.objects.create(
        kelurahan=Kelurahan.objects.get(name="Metro"), number=1, lat=-5.113, lon=105.306, dpt=250
    )


def test_a_bad_scenario_file_gets_an_error_naming_each_problem(tmp_path, db):
    bad = {
        "name": "Bad Name",
        "title": "x",
        "injects": [
            {"offset": "5m", "kind": "tip", "data": {"text": "ada massa berkumpul di KPU"}},
            {"offset": "1m", "kind": "incident", "data": {"type": "unjuk_rasa"}},
            {"offset": "6m", "kind": "escalate", "data": {"target": "nope", "colour": "ungu"}},
            {"offset": "7m", "kind": "tip", "data": {"text": "tolong"}, "expect": {"force": "phh"}},
            {"offset": "soon", "kind": "meteor"},
        ],
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(CommandError) as caught:
        call_command("exercise", "validate", str(path))
    message = str(caught.value)
    assert "name:" in message
    assert "injects[1].offset: lebih awal dari inject sebelumnya" in message
    assert "injects[1].data.colour: wajib diisi" in message
    assert "injects[1].data.description: wajib diisi" in message
    assert "injects[1].data: laporan kejadian perlu lokasi" in message
    assert "injects[2].data.target: 'nope' bukan ref" in message
    assert "injects[2].data.colour: nilai 'ungu' tidak dikenal" in message
    assert "injects[3].data.text: minimal 10 karakter" in message
    assert "injects[3].expect.force: tidak berlaku untuk inject tip" in message
    assert "injects[4].kind: jenis tidak dikenal" in message


def test_a_scenario_file_that_is_not_json_names_the_line(tmp_path, db):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "name": "x",\n  "injects": [\n}')
    with pytest.raises(CommandError, match=r"file: JSON tidak sah: .* \(baris 4\)"):
        call_command("exercise", "validate", str(path))


def test_a_good_scenario_file_validates(tmp_path, db, capsys):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(SMALL))
    call_command("exercise", "validate", str(path))
    assert "valid (uji-kecil, 3 injects)" in capsys.readouterr().out


def test_a_scenario_naming_a_place_that_does_not_exist_is_refused_on_save(places, personas):
    data = json.loads(json.dumps(SMALL))
    data["injects"][0]["data"]["kelurahan"] = "Atlantis"
    data["injects"][2]["data"]["tps"]["number"] = 99
    with pytest.raises(Exception) as caught:
        scenario_save(by=personas["admin"], data=data, source="form")
    errors = caught.value.message_dict
    assert errors["injects[0].data.kelurahan"] == ["kelurahan 'Atlantis' tidak ada"]
    assert errors["injects[2].data.tps"] == ["TPS 99 di Metro tidak ada"]
    assert not Scenario.objects.exists()


def _text(kind: str, data: dict) -> Report:
    if kind == "intel":
        text = ". ".join(data.get(k, "") for k in ("subject", "what", "when_text", "where_text"))
        return Report(
            text=text,
            channel="intel",
            source_reliability=data["source_reliability"],
            info_credibility=data["info_credibility"],
        )
    if kind == "tip":
        return Report(text=data["text"], channel="tip")
    return Report(text=f"{data['type']}. {data['description']}", channel="field")


def test_the_three_shipped_scenarios_are_valid_and_their_expected_merah_alerts_can_happen(db):
    files = scenario_files()
    assert {"unjuk-rasa-kpu", "penghadangan-logistik", "sengketa-tps"} <= set(files)
    engine = Engine()
    for path in files.values():
        definition = scenario_file_read(path)
        kinds = {i["kind"] for i in definition["injects"]}
        assert "escalate" in kinds
        for inject in definition["injects"]:
            if inject["kind"] == "logistics":
                continue  # a stopped leg's alert is merah by rule, not scored (next test)
            if inject["expect"].get("alert") == "merah":
                # A scenario that expects an alert the engine could never raise trains nothing.
                assert engine.score(_text(inject["kind"], inject["data"])).level == "merah"


def test_exercise_list_shows_shipped_files_and_scenarios_in_the_database(places, capsys):
    scenario_save(by=None, data=SMALL, source="form")
    call_command("exercise", "list")
    out = capsys.readouterr().out
    assert "unjuk-rasa-kpu" in out and "file (not loaded)" in out
    assert "uji-kecil" in out and "db v1" in out
    call_command("exercise", "load")
    call_command("exercise", "load")
    assert Scenario.objects.filter(source="file").count() == 3
    assert set(Scenario.objects.filter(source="file").values_list("version", flat=True)) == {1}


def test_the_scenario_form_shows_field_errors_and_saves_a_new_version(places, client_for):
    client = client_for("admin")
    bad = json.loads(json.dumps(SMALL))
    bad["injects"][1]["expect"] = {"force": "tank"}
    response = client.post("/operasi/latihan/skenario/baru/", {"definition": json.dumps(bad)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "injects[1].expect.force" in page and "tank" in page
    response = client.post("/operasi/latihan/skenario/baru/", {"definition": "{not json"})
    assert response.status_code == 400 and "JSON" in response.content.decode()

    assert client.post("/operasi/latihan/skenario/baru/", {"definition": json.dumps(SMALL)})[
        "Location"
    ].endswith("/operasi/latihan/")
    changed = json.loads(json.dumps(SMALL))
    changed["title"] = "Uji kecil, diubah"
    client.post("/operasi/latihan/skenario/uji-kecil/", {"definition": json.dumps(changed)})
    scenario = Scenario.objects.get(name="uji-kecil")
    assert (scenario.version, scenario.title, scenario.source) == (2, "Uji kecil, diubah", "form")


def test_an_inject_delivered_twice_creates_one_report(places, personas):
    scenario = scenario_save(by=None, data=SMALL, source="form")
    run = exercises.exercise_run_start(scenario=scenario, by=personas["komando"], speed=60)
    first = run.injects.get(index=0)
    exercises.exercise_inject_fire(inject_id=first.pk)
    exercises.exercise_inject_fire(inject_id=first.pk)
    assert Incident.objects.filter(is_exercise=True).count() == 1
    first.refresh_from_db()
    assert first.incident.is_exercise and first.fired_at is not None


def test_only_one_exercise_runs_at_a_time_and_a_speed_out_of_range_is_refused(places, personas):
    scenario = scenario_save(by=None, data=SMALL, source="form")
    with pytest.raises(Exception, match="percepatan"):
        exercises.exercise_run_start(scenario=scenario, by=personas["komando"], speed=0)
    exercises.exercise_run_start(scenario=scenario, by=personas["komando"], speed=60)
    with pytest.raises(Exception, match="Latihan lain sedang berjalan"):
        exercises.exercise_run_start(scenario=scenario, by=personas["komando"], speed=60)


def test_an_exercise_tps_return_leaves_the_real_tps_status_as_it_is(places, personas):
    scenario = scenario_save(by=None, data=SMALL, source="form")
    run = exercises.exercise_run_start(scenario=scenario, by=personas["komando"], speed=60)
    exercises.exercise_inject_fire(inject_id=run.injects.get(index=2).pk)
    assert TpsReturn.objects.get().is_exercise
    places.refresh_from_db()
    assert places.status == "belum_dibuka"


def test_the_run_pages_carry_the_exercise_banner_and_only_komando_may_stop(
    places, personas, client_for
):
    scenario = scenario_save(by=None, data=SMALL, source="form")
    run = exercises.exercise_run_start(scenario=scenario, by=personas["komando"], speed=60)
    exercises.exercise_inject_fire(inject_id=run.injects.get(index=0).pk)
    incident = Incident.objects.get(is_exercise=True)
    komando = client_for("komando")
    page = komando.get(f"/operasi/latihan/{run.pk}/").content.decode()
    assert "LATIHAN / EXERCISE" in page and "<svg" in page and 'id="exercise-stop"' in page
    assert "LATIHAN / EXERCISE" in komando.get(f"/kejadian/{incident.pk}/").content.decode()
    # While it runs, every command-post page says so; the liaison's pages never do.
    assert "LATIHAN / EXERCISE" in komando.get("/operasi/tps/").content.decode()
    liaison = client_for("penghubung_kpu")
    assert "LATIHAN" not in liaison.get("/operasi/tps/").content.decode()
    assert liaison.get(f"/operasi/latihan/{run.pk}/").status_code == 403
    assert client_for("intel").post(f"/operasi/latihan/{run.pk}/hentikan/").status_code == 403
    response = komando.post(f"/operasi/latihan/{run.pk}/hentikan/")
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == "stopped" and run.stopped_by == personas["komando"]
    assert run.injects.filter(skipped=True).count() == 2
    # What the run left open is closed, so the command post's lists stay clean.
    incident.refresh_from_db()
    assert incident.status == "ditolak"


def test_a_run_can_be_started_from_the_page_by_komando_only(places, personas, client_for):
    scenario_save(by=None, data=SMALL, source="form")
    assert client_for("admin").post("/operasi/latihan/skenario/uji-kecil/mulai/").status_code == 403
    response = client_for("komando").post(
        "/operasi/latihan/skenario/uji-kecil/mulai/", {"speed": "30"}
    )
    run = ExerciseRun.objects.get()
    assert response["Location"] == f"/operasi/latihan/{run.pk}/"
    assert (run.speed, run.status, run.started_by) == (30, "running", personas["komando"])
    bad = client_for("komando").post("/operasi/latihan/skenario/uji-kecil/mulai/", {"speed": "x"})
    assert bad.status_code == 302 and ExerciseRun.objects.count() == 1


def test_in_the_embedded_default_the_command_plays_the_injects_itself(
    transactional_db, settings, capsys
):
    """Eager Celery has no worker to hold an ETA: the command fires each inject when due, the
    scoring runs in-process, and the report comes out at the end."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    reference_load()
    Tps.objects.create(
        kelurahan=Kelurahan.objects.get(name="Metro"), number=1, lat=-5.113, lon=105.306, dpt=250
    )
    scenario_save(by=None, data=SMALL, source="form")
    started = timezone.now()
    call_command("exercise", "run", "uji-kecil", "--speed", "120")
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "finished"
    assert [r["fired_at"] is not None for r in report["injects"]] == [True, True, True]
    first = report["injects"][0]
    assert first["measured"]["alert_level"] == "merah"
    alert_check = first["checks"][0]
    assert alert_check["what"] == "alert" and alert_check["outcome"] == "met"
    assert [c["outcome"] for c in first["checks"][1:]] == ["missed"]  # nobody dispatched
    assert report["injects"][1]["checks"] == [
        {"what": "force", "expected": "phh", "measured": "phh", "outcome": "met"}
    ]
    assert report["missed"][0]["what"] == "dispatch"
    # Injects played on schedule: the escalation one scenario minute (0.5 s real) after start.
    fired = ExerciseInject.objects.get(index=1).fired_at
    assert (fired - started).total_seconds() >= 0.5
    # The exercise alert was closed when the run ended.
    assert not Alert.objects.filter(is_exercise=True, status="open").exists()


def test_seed_demo_loads_the_shipped_scenarios_and_the_places_they_name_exist(db):
    call_command("seed_demo", "--allow-production", verbosity=0)
    call_command("seed_demo", "--allow-production", verbosity=0)
    shipped = Scenario.objects.filter(source="file")
    assert shipped.count() == 3 and {s.version for s in shipped} == {1}
    for scenario in shipped:
        scenario_validate(scenario.definition, check_places=True)


def test_the_logistics_inject_stops_a_real_exercise_leg_with_its_merah_alert(db, personas):
    from command.aar import exercise_report
    from logistics.models import Leg
    from logistics.selectors import convoy_board

    reference_load()
    purwoasri = Kelurahan.objects.get(name="Purwoasri")
    Tps.objects.create(kelurahan=purwoasri, number=1, lat=-5.09, lon=105.31, dpt=250)
    definition = scenario_file_read(scenario_files()["penghadangan-logistik"])
    scenario = scenario_save(by=None, data=definition, source="file")
    run = exercises.exercise_run_start(scenario=scenario, by=personas["komando"], speed=60)
    inject = run.injects.get(kind="logistics")
    exercises.exercise_inject_fire(inject_id=inject.pk)
    exercises.exercise_inject_fire(inject_id=inject.pk)  # delivered twice: one leg
    inject.refresh_from_db()
    assert inject.error == ""
    leg = Leg.objects.get()
    assert leg.is_exercise and leg.status == "terhenti" and leg.problem == "terhenti"
    assert leg.origin.code == "pps-purwoasri" and leg.destination.code == "ppk-metro-utara"
    alert = Alert.objects.get(kind=Alert.Kind.LOG_STOPPED)
    assert alert.is_exercise and alert.level == "merah"
    assert not Alert.objects.filter(kind=Alert.Kind.LOG_NO_ESCORT).exists()
    masalah = next(c for c in convoy_board()["columns"] if c["key"] == "masalah")
    assert [x.code for x in masalah["legs"]] == [leg.code]
    row = next(r for r in exercise_report(run=run)["injects"] if r["index"] == inject.index)
    assert row["object"] == {"type": "leg", "id": leg.pk}
    assert row["measured"]["alert_id"] == alert.pk
    exercises.exercise_run_stop(run=run, by=personas["komando"])
    leg.refresh_from_db()
    assert leg.status == "tiba" and leg.problem == ""

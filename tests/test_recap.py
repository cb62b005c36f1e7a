"""Recapitulation sites (issue #19, item 5): each PPK's session and the KPU Kota's, updated by the
command post, shown with the crowd and the guard against plan, pushed to the dashboard's convoy
card; a session in trouble weighs on early warning in its kecamatan (the KPU Kota's: the city)."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from core import realtime
from core.models import AuditEvent
from incidents.scoring import report_build
from operations.models import Kecamatan, Kelurahan, Post, RecapSession
from operations.recap import TROUBLE_WEIGHT, recap_rows
from operations.reference import reference_load
from tests import factories


@pytest.fixture
def sessions(db, personas):
    reference_load()
    now = timezone.now()
    utara = Kecamatan.objects.get(name="Metro Utara")
    post = factories.PostFactory(kind="ppk", name="PPK Metro Utara", required_strength=6)
    for _n in range(2):
        factories.AssignmentFactory(
            post=post,
            status="active",
            starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=8),
        )
    ppk = RecapSession.objects.create(
        kecamatan=utara,
        post=post,
        starts_at=now - dt.timedelta(hours=2),
        ends_at=now + dt.timedelta(days=2),
    )
    kota = RecapSession.objects.create(
        starts_at=now + dt.timedelta(days=3), ends_at=now + dt.timedelta(days=4)
    )
    return {"ppk": ppk, "kota": kota, "post": post}


def test_the_command_post_records_a_session_and_the_board_shows_it(
    sessions, client_for, django_capture_on_commit_callbacks
):
    realtime.push_queue_redis().delete(realtime.PUSH_QUEUE)
    komando = client_for("komando")
    with django_capture_on_commit_callbacks(execute=True):
        answer = komando.post(
            "/operasi/rekapitulasi/",
            {
                "session": sessions["ppk"].pk,
                "status": "buntu",
                "crowd_size": "300",
                "crowd_colour": "merah",
                "note": "saksi menolak hasil, massa di luar aula",
            },
        )
    assert answer.status_code == 302
    ppk = RecapSession.objects.get(pk=sessions["ppk"].pk)
    assert (ppk.status, ppk.crowd_size, ppk.crowd_colour) == ("buntu", 300, "merah")
    assert AuditEvent.objects.filter(action="recap.update").count() == 1
    pushed = [
        json.loads(r)[1] for r in realtime.push_queue_redis().lrange(realtime.PUSH_QUEUE, 0, -1)
    ]
    assert {"type": "recap.changed", "recap": {"id": ppk.pk, "status": "buntu"}} in pushed
    row = next(r for r in recap_rows() if r["id"] == ppk.pk)
    assert row["troubled"] and (row["guard"], row["guard_plan"]) == (2, 6)
    board = komando.get("/logistik/papan/").content.decode()
    assert f'data-recap="{ppk.pk}"' in board and "2 / 6" in board and "buntu" in board
    liaison = client_for("penghubung_kpu").get("/operasi/rekapitulasi/")
    assert liaison.status_code == 200 and "PPK Metro Utara" in liaison.content.decode()
    assert 'id="recap-form"' not in liaison.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "bubar", "crowd_size": "1", "crowd_colour": "hijau"}, "tidak dikenal"),
        ({"status": "berjalan", "crowd_size": "-5", "crowd_colour": "hijau"}, "bilangan bulat"),
        ({"status": "berjalan", "crowd_size": "10", "crowd_colour": "ungu"}, "hijau, kuning"),
    ],
)
def test_bad_input_is_a_400_and_nothing_changes(sessions, client_for, data, message):
    answer = client_for("komando").post(
        "/operasi/rekapitulasi/", {"session": sessions["ppk"].pk, **data}
    )
    assert answer.status_code == 400 and message in answer.content.decode()
    assert RecapSession.objects.get(pk=sessions["ppk"].pk).status == "terjadwal"
    assert client_for("intel").post("/operasi/rekapitulasi/", data).status_code == 403


def test_a_session_in_trouble_weighs_on_early_warning_in_its_kecamatan(sessions):
    here = factories.TipFactory(kelurahan=Kelurahan.objects.get(name="Purwoasri"))
    there = factories.TipFactory(kelurahan=Kelurahan.objects.get(name="Yosomulyo"))
    calm_here = report_build("tip", here)
    assert calm_here.phase_weight != TROUBLE_WEIGHT
    RecapSession.objects.filter(pk=sessions["ppk"].pk).update(status="diskors")
    troubled = report_build("tip", here)
    assert troubled.phase_weight == TROUBLE_WEIGHT
    assert "rekapitulasi PPK Metro Utara diskors" in troubled.phase_label
    assert report_build("tip", there).phase_weight == calm_here.phase_weight
    # The KPU Kota's session weighs on the whole city, while it sits.
    RecapSession.objects.filter(pk=sessions["kota"].pk).update(
        status="buntu", starts_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert report_build("tip", there).phase_weight == TROUBLE_WEIGHT
    assert Post.objects.filter(pk=sessions["post"].pk).exists()

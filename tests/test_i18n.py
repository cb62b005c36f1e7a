"""The UI speaks Bahasa Indonesia by default, English on request; times are WIB."""


def test_pages_are_in_indonesian_whatever_the_browser_asks(client_for):
    page = client_for("komando").get("/operasi/dasbor/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    text = page.content.decode()
    assert '<html lang="id">' in text
    assert "Pos Komando Pengamanan Pemilu" in text
    assert "WIB (Asia/Jakarta)" in text


def test_a_user_can_switch_to_english_and_back(client_for):
    client = client_for("komando")
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/operasi/dasbor/"})
    assert response.status_code == 302
    text = client.get("/operasi/dasbor/").content.decode()
    assert '<html lang="en">' in text
    assert "Election Security Command Post" in text
    client.post("/i18n/setlang/", {"language": "id", "next": "/operasi/dasbor/"})
    assert "Pos Komando Pengamanan Pemilu" in client.get("/operasi/dasbor/").content.decode()


def test_the_incident_page_names_every_step_and_value_in_indonesian(db, personas, client_for):
    import re

    from django.utils import timezone

    from incidents import services
    from operations.models import Kelurahan
    from operations.reference import reference_load
    from tests.factories import OfficerFactory

    reference_load()
    incident, _ = services.incident_create(
        by=personas["lapangan"],
        data={
            "type": "unjuk_rasa",
            "colour": "hijau",
            "occurred_at": timezone.now(),
            "kelurahan": Kelurahan.objects.get(name="Metro"),
            "description": "Massa berkumpul di depan kantor PPK, tertib.",
        },
    )
    komando = personas["komando"]
    services.incident_transition(incident=incident, by=komando, action="verify")
    services.incident_set_colour(incident=incident, by=komando, colour="kuning", note="mendorong")
    (dispatch,) = services.dispatch_create(
        incident=incident, by=komando, officers=[OfficerFactory()]
    )
    services.dispatch_mark(dispatch=dispatch, by=komando, step="en_route")
    page = client_for("komando").get(f"/kejadian/{incident.pk}/").content.decode()
    timeline = page[page.index('id="timeline"') :]
    timeline = timeline[: timeline.index("</ul>")]
    for words in ("laporan diterima", "diverifikasi", "situasi massa", "dikerahkan", "berangkat"):
        assert words in timeline, words
    assert "kuning (tidak tertib)" in timeline and "Kapolres" in timeline
    shown = " ".join(re.findall(r"<strong[^>]*>([^<]*)</strong>", timeline))
    for code in ("created", "verify", "colour", "dispatch", "en_route", "handle", "control"):
        assert code not in shown.split(), code
    assert '<option value="on_scene">tiba di lokasi</option>' in page
    assert '<option value="en_route">' not in page  # recorded already: not offered again


def test_times_read_with_a_colon_in_both_languages():
    import datetime as dt

    from django.template import Context, Template
    from django.utils import translation

    moment = dt.datetime(2026, 12, 5, 14, 5, tzinfo=dt.UTC)
    template = Template("{{ t|time }} {{ t }}")
    with translation.override("id"):
        text = template.render(Context({"t": moment}))
    assert "21:05" in text and "21.05" not in text  # WIB
    with translation.override("en"):
        assert "21:05" in template.render(Context({"t": moment}))

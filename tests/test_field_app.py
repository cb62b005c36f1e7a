"""The field officer's installable app: manifest, service worker, the TPS return form and the
photo a phone sends twice. (The offline flows in Chromium: tests/test_field_browser.py.)"""

import datetime as dt
import io
import json
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from incidents.models import IncidentPhoto, TpsReturn
from operations.models import Assignment
from operations.reference import reference_load
from tests import factories


def test_the_manifest_makes_an_installable_app(client):
    answer = client.get("/manifest.webmanifest")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/manifest+json")
    body = answer.json()
    assert body["display"] == "standalone" and body["start_url"] == "/lapangan/"
    assert {i["sizes"] for i in body["icons"]} == {"192x192", "512x512"}
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_service_worker_caches_the_shell_from_our_own_origin(client):
    answer = client.get("/sw.js")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/javascript")
    assert answer["Service-Worker-Allowed"] == "/"
    assert "no-cache" in answer["Cache-Control"] or "max-age=0" in answer["Cache-Control"]
    text = answer.content.decode()
    assert "https://" not in text and "http://" not in text  # no CDN, ever
    pages = json.loads(re.search(r"var SHELL_PAGES = (\[.*?\]);", text).group(1))
    assert pages == ["/lapangan/", "/lapor/", "/lapor/tps/", "/lapor/kawal/"]
    statics = json.loads(re.search(r"var SHELL_STATIC = (\[.*?\]);", text).group(1))
    for url in statics:
        assert client.get(url).status_code == 200, url
    for url in re.findall(r'importScripts\("([^"]+)"\)', text):
        assert client.get(url).status_code == 200, url


def _assigned(officer_user):
    reference_load()
    tps = factories.TpsFactory()
    post = factories.PostFactory(kind="tps")
    post.tps.add(tps)
    officer = factories.OfficerFactory(user=officer_user)
    now = timezone.now()
    factories.AssignmentFactory(
        officer=officer,
        post=post,
        status=Assignment.Status.ACTIVE,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=6),
    )
    return tps


def test_the_tps_return_form_offers_only_his_tps_and_files_it(personas, client_for):
    mine = _assigned(personas["lapangan"])
    other = factories.TpsFactory()
    officer = client_for("lapangan")
    page = officer.get("/lapor/tps/").content.decode()
    assert f'value="{mine.pk}"' in page and f'value="{other.pk}"' not in page
    answer = officer.post(
        "/lapor/tps/",
        {"tps": mine.pk, "status": "dibuka", "incidents": "tidak_ada", "idempotency_key": "k-1"},
    )
    assert answer.status_code == 302
    record = TpsReturn.objects.get()
    assert record.tps == mine and record.status == "dibuka"
    assert record.note.startswith("Tidak ada kejadian")
    refused = officer.post(
        "/lapor/tps/", {"tps": other.pk, "status": "dibuka", "idempotency_key": "k-2"}
    )
    assert refused.status_code == 400
    assert "tidak bertugas" in refused.content.decode()
    assert TpsReturn.objects.count() == 1


def test_the_report_form_puts_his_tps_first_and_chosen(personas, client_for):
    mine = _assigned(personas["lapangan"])
    page = client_for("lapangan").get("/lapor/").content.decode()
    first = re.search(
        r'<select name="tps" id="id_tps"><option value="">—</option><option ([^>]*)>', page
    )
    assert f'value="{mine.pk}"' in first.group(1) and "data-assigned" in first.group(1)
    assert "selected" in first.group(1)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_a_photo_sent_twice_for_one_incident_is_kept_once(personas, api_for):
    incident = factories.IncidentFactory(reporter=personas["lapangan"])
    api = api_for("lapangan")
    url = f"/api/v1/incidents/{incident.pk}/photos/"
    raw = _png()
    first = api.post(url, {"photo": SimpleUploadedFile("a.png", raw, "image/png")})
    again = api.post(url, {"photo": SimpleUploadedFile("a.png", raw, "image/png")})
    assert first.status_code in (200, 201), first.content
    assert again.status_code in (200, 201)
    assert IncidentPhoto.objects.filter(incident=incident).count() == 1

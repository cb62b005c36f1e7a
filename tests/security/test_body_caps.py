"""Body caps: no endpoint reads a body it has no use for, and file parts go only where a
file is expected."""

import asyncio
import io
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from incidents.models import Incident, Tip

FORTY_MB = 40 * 1024 * 1024


def _big_file(name="lampiran.bin"):
    return SimpleUploadedFile(name, b"\x00" * FORTY_MB, "application/octet-stream")


def test_the_caps_on_request_data_are_set():
    """The form-field and in-memory upload caps are ours, not a library's default."""
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES <= 10
    assert settings.REQUEST_MAX_BYTES >= 5 * 10 * 1024 * 1024  # five 10 MB photos fit


def test_an_anonymous_tip_with_an_extra_40_mb_file_part_is_refused(db):
    """Attack: an anonymous visitor sends a tip plus a 40 MB file part, to the API and to the
    HTML form, to fill the server's disk and memory. Before the fix the form ignored the part
    after reading and spooling all of it, and filed the tip."""
    cache.clear()
    client = Client()
    api = client.post("/api/v1/tips/", {"text": "Ada kerumunan di pasar.", "x": _big_file()})
    assert api.status_code in {400, 413, 415}
    form = client.post("/informasi/", {"text": "Ada kerumunan di pasar.", "x": _big_file()})
    assert form.status_code in {400, 413}
    assert Tip.objects.count() == 0


def test_a_file_part_is_refused_where_no_file_is_expected(api_for, client_for, personas):
    """Attack: a file part smuggled into a JSON-or-form endpoint (incident creation, the
    login) or under an unexpected name on the one form that takes photos."""
    body = {
        "type": "unjuk_rasa",
        "occurred_at": timezone.now().isoformat(),
        "description": "Massa berkumpul di depan kantor KPU.",
        "colour": "kuning",
        "lat": "-5.1135",
        "lon": "105.3065",
        "extra": SimpleUploadedFile("x.txt", b"hello", "text/plain"),
    }
    api = api_for("lapangan").post(
        "/api/v1/incidents/", body, format="multipart", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert api.status_code in {400, 413}, api.content[:300]
    login = Client().post(
        "/accounts/login/",
        {"username": "komando", "password": "x", "f": SimpleUploadedFile("a", b"a")},
    )
    assert login.status_code in {400, 413}
    form = client_for("lapangan").post(
        "/lapor/",
        {
            "idempotency_key": "form-extra-1",
            "type": "intimidasi",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "description": "Saksi diancam.",
            "lat": "-5.1135",
            "lon": "105.3065",
            "casualties": 0,
            "colour": "hijau",
            "not_photos": SimpleUploadedFile("a.png", b"a"),
        },
    )
    assert form.status_code in {400, 413}
    assert Incident.objects.count() == 0


def test_a_body_over_the_cap_is_refused_by_the_server_before_it_is_read():
    """Attack: a 40 MB (or endless) body to any path, over ASGI, where Django would otherwise
    read and spool the whole body before any view or middleware runs."""
    from sispam.asgi import application

    async def call(headers, chunks):
        sent, reads = [], []

        async def receive():
            reads.append(1)
            if chunks:
                return {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/v1/tips/",
            "raw_path": b"/api/v1/tips/",
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
        }
        await asyncio.wait_for(application(scope, receive, send), timeout=10)
        return sent, reads

    declared = [(b"host", b"127.0.0.1"), (b"content-length", str(FORTY_MB).encode())]
    sent, reads = asyncio.run(call(declared, []))
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 413
    assert reads == []  # not one byte read
    chunk = b"\x00" * (1024 * 1024)
    chunked = [(b"host", b"127.0.0.1"), (b"transfer-encoding", b"chunked")]
    sent, reads = asyncio.run(call(chunked, [chunk] * 100))
    assert sent[0]["status"] == 413
    assert len(reads) <= 4  # stopped at the tip API's 2.5 MB, not after 100 MB


def test_a_photo_upload_still_fits(api_for, personas, settings, tmp_path):
    """Not an attack: the one endpoint that takes a photo still takes it."""
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    body = {
        "type": "unjuk_rasa",
        "occurred_at": timezone.now().isoformat(),
        "description": "Massa berkumpul di depan kantor KPU.",
        "colour": "kuning",
        "lat": -5.1135,
        "lon": 105.3065,
    }
    api = api_for("lapangan")
    created = api.post(
        "/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert created.status_code == 201, created.content
    raw = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(raw, format="JPEG")
    ok = api.post(
        f"/api/v1/incidents/{created.json()['id']}/photos/",
        {"photo": SimpleUploadedFile("a.jpg", raw.getvalue(), "image/jpeg")},
        format="multipart",
    )
    assert ok.status_code == 201

"""Uploads: bytes and pixels are checked before anything is decoded; type from content."""

import struct
import time
import uuid
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents.models import Incident
from operations.models import Kelurahan, Tps
from operations.reference import reference_load

# Pillow warns when a header declares more than 89 MP: that is the point of these tests.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def bomb_png(side: int = 13_000) -> bytes:
    """A valid PNG of side x side grey pixels (169 megapixels for 13000), all zero, so it
    compresses to a few tens of KB; decoding it allocates ~170 MB and takes seconds."""
    row = b"\x00" * (1 + side)  # filter byte + one byte per 8-bit grey pixel
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bomb():
    return bomb_png()


@pytest.fixture
def place(db):
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    return Tps.objects.create(kelurahan=kel, number=5, lat=-5.1135, lon=105.3065, dpt=280)


@pytest.fixture
def incident_id(api_for, place):
    body = {
        "type": "unjuk_rasa",
        "occurred_at": timezone.now().isoformat(),
        "description": "Massa sekitar 200 orang berkumpul di depan TPS.",
        "colour": "kuning",
        "tps": place.pk,
    }
    created = api_for("lapangan").post(
        "/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert created.status_code == 201
    return created.json()["id"]


def test_a_decompression_bomb_photo_is_refused_in_milliseconds(
    api_for, incident_id, bomb, settings, tmp_path
):
    """Attack: a PNG of a few tens of KB that declares 13000 x 13000 pixels (169 MP). Before
    the fix it was decoded in full (13 s, gigabytes for bigger ones) and kept: 201."""
    settings.MEDIA_ROOT = tmp_path
    assert len(bomb) < 500_000
    started = time.monotonic()
    answer = api_for("lapangan").post(
        f"/api/v1/incidents/{incident_id}/photos/",
        {"photo": SimpleUploadedFile("bomb.png", bomb, "image/png")},
        format="multipart",
    )
    elapsed = time.monotonic() - started
    assert answer.status_code in {400, 413}
    assert "photo" in answer.json()
    assert elapsed < 1.0, elapsed
    assert Incident.objects.get(pk=incident_id).photos.count() == 0


def test_a_photo_type_is_taken_from_its_content_not_its_name(
    api_for, incident_id, settings, tmp_path
):
    """Attack: a GIF (or anything else) named photo.jpg and sent as image/jpeg."""
    import io

    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    answer = api_for("lapangan").post(
        f"/api/v1/incidents/{incident_id}/photos/",
        {"photo": SimpleUploadedFile("photo.jpg", gif.getvalue(), "image/jpeg")},
        format="multipart",
    )
    assert answer.status_code == 400 and "photo" in answer.json()


def test_a_refused_photo_on_the_report_form_keeps_the_officers_text(
    client_for, place, bomb, settings, tmp_path
):
    """Attack (or an honest huge picture): the form's photo is refused. Before the fix the
    report was filed without it, or the request failed and the officer's text was lost; now
    the form comes back with his text and the reason, and nothing is half-filed."""
    settings.MEDIA_ROOT = tmp_path
    text = "Saksi diancam oleh sekelompok orang bermotor di depan TPS 5."
    started = time.monotonic()
    answer = client_for("lapangan").post(
        "/lapor/",
        {
            "idempotency_key": "form-bomb-1",
            "type": "intimidasi",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "tps": place.pk,
            "description": text,
            "casualties": 0,
            "colour": "hijau",
            "photos": SimpleUploadedFile("bomb.png", bomb, "image/png"),
        },
    )
    assert time.monotonic() - started < 1.0
    assert answer.status_code in {400, 413}
    page = answer.content.decode()
    assert text in page
    assert "megapiksel" in page
    assert Incident.objects.count() == 0

"""Evidence photos: served only through a view that checks role and object, under random names."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from incidents.models import Incident
from operations.models import Kelurahan, Tps
from operations.reference import reference_load
from tests.conftest import make_user


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def photo(api_for, settings, tmp_path):
    """A photo filed by the field officer persona on his own report."""
    settings.MEDIA_ROOT = tmp_path
    reference_load()
    kel = Kelurahan.objects.get(name="Metro")
    tps = Tps.objects.create(kelurahan=kel, number=5, lat=-5.1135, lon=105.3065, dpt=280)
    body = {
        "type": "unjuk_rasa",
        "occurred_at": timezone.now().isoformat(),
        "description": "Massa sekitar 200 orang berkumpul di depan TPS.",
        "colour": "kuning",
        "tps": tps.pk,
    }
    api = api_for("lapangan")
    created = api.post(
        "/api/v1/incidents/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    added = api.post(
        f"/api/v1/incidents/{pk}/photos/",
        {"photo": SimpleUploadedFile("IMG_0001.jpg", jpeg(), "image/jpeg")},
        format="multipart",
    )
    assert added.status_code == 201, added.content
    return Incident.objects.get(pk=pk).photos.get()


def test_komando_sees_the_photo_on_the_incident_page_through_the_authorised_view(client_for, photo):
    """Before: the page's <img> pointed at /media/evidence/..., which answers 404 (a broken
    image), and the name was the photo's SHA-256 (guessable from the file)."""
    komando = client_for("komando")
    page = komando.get(f"/kejadian/{photo.incident_id}/")
    assert page.status_code == 200
    url = f"/kejadian/foto/{photo.pk}/"
    assert f'src="{url}"' in page.content.decode()
    assert "/media/" not in page.content.decode()
    shown = komando.get(url)
    assert shown.status_code == 200
    assert shown["Content-Type"] == "image/jpeg"
    assert b"".join(shown.streaming_content)[:2] == b"\xff\xd8"
    original = komando.get(f"/kejadian/foto/{photo.pk}/asli/")
    assert original.status_code == 200 and original["Content-Type"] == "image/jpeg"


def test_photo_files_have_random_names_and_no_media_route(client_for, photo):
    """Attack: guess /media/evidence/display/<yyyy>/<mm>/<sha256>-clean.jpg."""
    for name in (photo.display.name, photo.original.name):
        stem = name.rsplit("/", 1)[-1].split(".")[0]
        assert photo.sha256 not in name
        assert uuid.UUID(stem.removesuffix("-clean"))
    komando = client_for("komando")
    assert komando.get(f"/media/{photo.display.name}").status_code == 404
    assert komando.get(f"/media/{photo.original.name}").status_code == 404


def test_the_liaison_and_the_admin_never_get_a_photo(client_for, photo):
    for role in ("penghubung_kpu", "admin"):
        client = client_for(role)
        assert client.get(f"/kejadian/foto/{photo.pk}/").status_code in (403, 404)
        assert client.get(f"/kejadian/foto/{photo.pk}/asli/").status_code in (403, 404)
    assert client_for(None).get(f"/kejadian/foto/{photo.pk}/").status_code == 302


def test_a_field_officer_gets_his_own_photo_but_not_another_officers(client_for, photo):
    """Attack: a second field officer walks the photo ids."""
    assert client_for("lapangan").get(f"/kejadian/foto/{photo.pk}/").status_code == 200
    # The original (with its GPS) is for the command post and Gakkumdu only.
    assert client_for("lapangan").get(f"/kejadian/foto/{photo.pk}/asli/").status_code == 403
    from django.test import Client

    other = Client()
    other.force_login(make_user("lapangan2", "lapangan"))
    assert other.get(f"/kejadian/foto/{photo.pk}/").status_code == 404


def test_the_api_gives_the_photo_through_the_view(api_for, photo):
    detail = api_for("komando").get(f"/api/v1/incidents/{photo.incident_id}/").json()
    assert [p["url"] for p in detail["photos"]] == [f"/kejadian/foto/{photo.pk}/"]

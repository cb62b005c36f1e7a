"""Cross-site tips: a page on another site cannot file tips in a visitor's name."""

from urllib.parse import urlencode

from django.core.cache import cache
from django.test import Client

from incidents.models import Tip


def test_a_form_encoded_or_multipart_post_to_the_tip_api_is_refused(db):
    """Attack: any web page the visitor opens auto-submits an HTML form (form-encoded or
    multipart: a "simple" cross-site request that needs no CORS preflight) to /api/v1/tips/.
    Before the fix the API dropped its authenticators for POST and parsed forms: 201."""
    cache.clear()
    client = Client(enforce_csrf_checks=True)
    text = {"text": "Kerusuhan besar di pasar, semua warga diminta datang!"}
    form = client.post(
        "/api/v1/tips/", urlencode(text), content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code in {403, 415}
    multipart = client.post("/api/v1/tips/", text)  # the test client's default is multipart
    assert multipart.status_code in {403, 415}
    plain = client.post("/api/v1/tips/", "text=x", content_type="text/plain")
    assert plain.status_code in {403, 415}
    assert Tip.objects.count() == 0
    # JSON (which a cross-site page cannot send without a CORS preflight we never answer) works.
    ok = client.post("/api/v1/tips/", text, content_type="application/json")
    assert ok.status_code == 201


def test_the_html_tip_form_still_needs_its_csrf_token(db):
    """Attack: the same auto-submitted form against the public HTML form /informasi/."""
    cache.clear()
    client = Client(enforce_csrf_checks=True)
    refused = client.post("/informasi/", {"text": "Ada massa berkumpul di pasar malam ini."})
    assert refused.status_code == 403
    assert Tip.objects.count() == 0

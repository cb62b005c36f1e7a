"""Security headers, CSRF on forms, and no third-party origin anywhere."""

import re
import subprocess
import sys

from tests.stack import ROOT


def test_every_page_sends_a_csp_that_allows_no_third_party_origin(client_for):
    response = client_for("komando").get("/komando/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert (
        "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert not re.search(r"https?://", csp)
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_forms_carry_a_csrf_token_and_a_post_without_one_is_refused(db):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/").content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    refused = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert refused.status_code == 403


def test_templates_and_static_files_reference_no_external_origin():
    for folder in ("templates", "static"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".html", ".css", ".js"}:
                text = path.read_text()
                assert not re.search(r"(src|href)=\"https?://", text), path
                assert "cdn" not in text.lower(), path


def test_production_sets_secure_cookies_and_hsts():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, "
        "s.SECURE_SSL_REDIRECT)"
    )
    import os

    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "s" * 60,
        "ALLOWED_HOSTS": "x.example",
        "DJANGO_SETTINGS_MODULE": "sispam.settings",
    }
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "True", "True", "True"]

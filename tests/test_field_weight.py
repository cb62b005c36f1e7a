"""The field officer's pages are light: at most 150 KB on first load (compressed, without the
map) and open in under 2 s on a throttled 3G link (tests/field_weight.py says how)."""

import pytest
from django.core.management import call_command
from django.test import Client

from tests.conftest import make_user
from tests.field_weight import measure

pytestmark = [pytest.mark.browser, pytest.mark.stack]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LIMIT_BYTES = 150 * 1024
LIMIT_SECONDS = 2.0


def test_lapor_and_tugas_saya_are_light_on_a_slow_network(transactional_db, asgi_server, browser):
    call_command("seed_demo", "--allow-production", verbosity=0)  # 462 TPS in the form's list
    client = Client()
    client.force_login(make_user("petugas", "lapangan"))
    sessionid = client.cookies["sessionid"].value
    for path in ("/lapor/", "/lapangan/", "/lapor/tps/"):
        figures = measure(browser, asgi_server.url, path, sessionid, PHONE)
        assert figures["bytes_gzip"] <= LIMIT_BYTES, figures
        assert figures["seconds"] < LIMIT_SECONDS, figures

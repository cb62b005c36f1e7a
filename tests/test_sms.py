"""Reports by SMS when data fails (issue #17, item 7): coded texts posted to the inbound webhook
as the gateway would; and in Chromium, the outbox offering a waiting report as an SMS whose
text the webhook files once, the data copy that follows being the same report."""

import json
import urllib.parse
import urllib.request

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Incident, TpsReturn
from incidents.sms import check_digit, sms_parse
from operations.models import Assignment
from tests import factories
from tests.stack import ARTIFACTS, stack_env, start_asgi_server
from tests.test_field_browser import PHONE, _file_report, _login, _officer_on_duty, _ready

SECRET = "rahasia-gerbang-sms"
NUMBER = "+62 812-5550-0001"  # as the roster writes it; the gateway sends +6281255500001
KEY = "5d0c8a4e-6d1b-4c39-9b7a-0f1e2d3c4b5a"


def coded(body: str) -> str:
    return f"{body} {check_digit(body)}"


@pytest.fixture
def duty(db, settings):
    settings.SMS_WEBHOOK_SECRET = SECRET
    user, tps = _officer_on_duty()
    user.officer.phone = NUMBER
    user.officer.save(update_fields=["phone"])
    return user, tps


def post(text: str, sender: str = "+6281255500001", secret: str = SECRET):
    return Client().post(
        "/api/v1/sms/inbound/",
        {"from": sender, "text": text},
        headers={"X-Sispam-Secret": secret},
    )


def test_a_coded_report_is_stored_once_and_its_data_copy_is_the_same_report(duty):
    user, tps = duty
    text = coded(f"SPM L T{tps.pk} M BT 120 2 {KEY}")
    first = post(text)
    assert first.status_code == 200, first.json()
    assert first.json()["created"] is True and "diterima" in first.json()["reply"]
    incident = Incident.objects.get()
    assert (incident.type, incident.colour, incident.crowd_size, incident.casualties) == (
        "bentrok",
        "merah",
        120,
        2,
    )
    assert incident.reporter == user and incident.tps == tps and incident.idempotency_key == KEY
    again = post(text)
    assert again.status_code == 200 and again.json()["created"] is False
    # The phone's outbox sends the data copy later, with the same key: the same report.
    api = APIClient()
    api.force_authenticate(user)
    late = api.post(
        "/api/v1/incidents/",
        {
            "type": "bentrok",
            "colour": "merah",
            "tps": tps.pk,
            "occurred_at": incident.occurred_at.isoformat(),
            "description": "Bentrok antar pendukung di depan TPS, saling lempar batu.",
            "crowd_size": 120,
            "casualties": 2,
        },
        format="json",
        headers={"Idempotency-Key": KEY},
    )
    assert late.status_code in (200, 201) and late.json()["id"] == incident.pk
    assert Incident.objects.count() == 1
    # ...and completes it: the officer's own words replace the coded ones (kept in the timeline).
    incident.refresh_from_db()
    assert incident.description.startswith("Bentrok antar pendukung di depan TPS")
    assert incident.events.filter(
        kind="sms_completed", note__startswith="Laporan lewat SMS"
    ).exists()
    assert post(text).json()["created"] is False  # the SMS again: still the same report
    assert Incident.objects.count() == 1


def test_a_data_copy_first_then_the_sms_is_one_report(duty):
    user, tps = duty
    api = APIClient()
    api.force_authenticate(user)
    first = api.post(
        "/api/v1/incidents/",
        {
            "type": "unjuk_rasa",
            "colour": "kuning",
            "tps": tps.pk,
            "occurred_at": timezone.now().isoformat(),
            "description": "Massa berkumpul di depan TPS menuntut penghitungan ulang.",
        },
        format="json",
        headers={"Idempotency-Key": KEY},
    )
    assert first.status_code == 201
    late = post(coded(f"SPM L T{tps.pk} K UR 0 0 {KEY}"))
    assert late.status_code == 200 and late.json()["created"] is False
    assert Incident.objects.get().description.startswith("Massa berkumpul")


def test_a_tps_return_by_sms_is_his_tps_only(duty):
    user, tps = duty
    good = post(coded(f"SPM T {tps.pk} B 0 {KEY}"))
    assert good.status_code == 200 and TpsReturn.objects.get().status == "dibuka"
    other = factories.TpsFactory()
    refused = post(coded(f"SPM T {other.pk} P 1 1f2e3d4c-aaaa-bbbb-cccc-000000000001"))
    assert refused.status_code == 403 and refused.json()["reply"]
    assert TpsReturn.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("halo pos komando", "Awali dengan SPM"),
        ("SPM L T{tps} M BT 120 2 " + KEY + " x", "Angka pemeriksa"),
        ("SPM L T{tps} M", "Susunan salah"),
        ("SPM L T999999 M BT 1 0 " + KEY, "TPS 999999 tidak dikenal"),
        ("SPM L T{tps} U BT 1 0 " + KEY, "Situasi harus"),
        ("SPM L T{tps} M XX 1 0 " + KEY, "Jenis harus"),
        ("SPM L T{tps} M BT banyak 0 " + KEY, "Jumlah massa harus angka"),
        ("SPM L T{tps} M BT 1 0 kunci!", "Kunci laporan"),
        ("SPM T {tps} Z 0 " + KEY, "Status TPS harus"),
    ],
)
def test_a_malformed_text_is_answered_with_what_to_fix_and_stores_nothing(duty, text, reply):
    _user, tps = duty
    text = text.format(tps=tps.pk)
    if text.startswith("SPM") and not text.endswith(" x"):
        text = coded(text)  # a good check digit: the fault is elsewhere
    answer = post(text)
    assert answer.status_code == 400, answer.json()
    assert reply in answer.json()["reply"]
    assert not Incident.objects.exists() and not TpsReturn.objects.exists()


def test_an_unknown_number_or_a_wrong_secret_is_refused(duty, settings):
    _user, tps = duty
    text = coded(f"SPM L T{tps.pk} K UR 50 0 {KEY}")
    stranger = post(text, sender="+6281300000000")
    assert stranger.status_code == 403 and "tidak terdaftar" in stranger.json()["reply"]
    wrong = post(text, secret="tebakan")
    assert wrong.status_code == 403 and wrong.json()["reply"] == ""
    settings.SMS_WEBHOOK_SECRET = ""
    assert post(text).status_code == 404
    assert not Incident.objects.exists()


def test_the_android_gateway_shape_is_read_too(duty):
    _user, tps = duty
    body = {
        "event": "sms:received",
        "payload": {
            "phoneNumber": "081255500001",
            "message": coded(f"SPM L T{tps.pk} H GT 0 0 {KEY}"),
        },
    }
    answer = Client().post(
        "/api/v1/sms/inbound/",
        json.dumps(body),
        content_type="application/json",
        headers={"X-Sispam-Secret": SECRET},
    )
    assert answer.status_code == 200 and Incident.objects.get().type == "gangguan_tps"


def test_the_parser_reads_every_place_form(duty):
    _user, tps = duty
    assert sms_parse(coded(f"SPM L T{tps.pk} M BT 0 0 {KEY}")).data["tps"] == tps
    assert sms_parse(coded(f"SPM L Kmetro M BT 0 0 {KEY}")).data["kelurahan"].name == "Metro"
    near = sms_parse(coded(f"SPM L P-5.11350,105.30650 M BT 0 0 {KEY}")).data
    assert (near["lat"], near["lon"]) == (-5.1135, 105.3065)


@pytest.mark.browser
@pytest.mark.stack
def test_a_report_waiting_for_data_goes_by_sms_and_the_data_copy_does_not_double_it(
    transactional_db, browser
):
    user, tps = _officer_on_duty()
    user.officer.phone = NUMBER
    user.officer.save(update_fields=["phone"])
    env = stack_env(
        SMS_GATEWAY_NUMBER="+628119990000", SMS_AFTER_MINUTES="0", SMS_WEBHOOK_SECRET=SECRET
    )
    server = start_asgi_server(env)
    try:
        context = browser.new_context(**PHONE)
        page = context.new_page()
        _login(page, server.url)
        _ready(page, server.url)
        context.set_offline(True)
        page.reload()
        page.wait_for_selector("#report-form")
        _file_report(page, "Massa bentrok di depan TPS, saling lempar batu")
        link = page.locator("#outbox li.state-waiting a.sms-link")
        link.wait_for(timeout=20_000)
        href, text = link.get_attribute("href"), link.get_attribute("data-text")
        assert href.startswith("sms:+628119990000?body=SPM%20L%20T")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "field-outbox-sms.png"), full_page=True)
        # The officer sends it; the gateway posts it to the server's webhook.
        request = urllib.request.Request(  # noqa: S310 (our own test server)
            server.url + "/api/v1/sms/inbound/",
            data=urllib.parse.urlencode({"from": "+6281255500001", "text": text}).encode(),
            headers={"X-Sispam-Secret": SECRET},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            assert answer.status == 200 and json.loads(answer.read())["created"] is True
        assert Incident.objects.count() == 1
        context.set_offline(False)
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_selector("#outbox li.state-sent", timeout=45_000)
        assert Incident.objects.count() == 1  # the data copy is the SMS's report
        assert Assignment.objects.filter(officer=user.officer).exists()
        context.close()
    finally:
        server.stop()

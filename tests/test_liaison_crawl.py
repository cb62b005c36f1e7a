"""The KPU liaison, on a full demo with a polling day under way, opens everything he can reach:
no officer's name, NRP or phone appears anywhere, and intelligence answers 403 or 404."""

import re
from collections import deque
from urllib.parse import urljoin, urlparse

import pytest
from django.core.cache import cache
from django.core.management import call_command

from incidents.models import Alert, Incident, IntelReport
from incidents.scoring import report_score
from personnel.models import Officer
from tests.test_roles_matrix import MATRIX

HREF = re.compile(r'(?:href|action)="([^"#]+)"')
SKIP = ("/static/", "/accounts/logout/", "/i18n/", "/admin/")


@pytest.fixture
def demo(db, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    cache.clear()
    call_command("seed_demo", "--allow-production", verbosity=0)
    call_command("seed_situation", verbosity=0)
    # No worker here: score the reports in-process so the demo has its alerts too.
    for pk in Incident.objects.values_list("pk", flat=True):
        report_score(kind="incident", pk=pk)
    assert Incident.objects.exists() and Alert.objects.exists()


def forbidden_strings() -> list[str]:
    values = []
    for name, nrp, phone in Officer.objects.values_list("name", "nrp", "phone"):
        values += [name, nrp]
        if phone:
            values.append(phone)
    return [v for v in values if v and len(v) >= 5]


def liaison_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="penghubung_kpu"))
    return client


def crawl(client) -> dict[str, str]:
    """Every page and API answer the liaison can open from his landing page and the API list."""
    seen: dict[str, str] = {}
    queue = deque(["/", "/kpu/", "/kpu/ringkasan/"])
    for route, row in MATRIX.items():
        if row["penghubung_kpu"] == "200" and "{" not in route:
            queue.append(route)
    for pk in Incident.objects.filter(is_exercise=False).values_list("pk", flat=True)[:10]:
        queue.append(f"/api/v1/incidents/{pk}/")
    while queue:
        url = queue.popleft()
        path = urlparse(url).path
        if url in seen or path.startswith(SKIP) or urlparse(url).netloc:
            continue
        answer = client.get(url, follow=True)
        body = answer.content.decode(errors="replace")
        seen[url] = body
        if "html" in answer.get("Content-Type", ""):
            for link in HREF.findall(body):
                queue.append(urljoin(url, link.replace("&amp;", "&")))
        if len(seen) > 400:
            break
    return seen


def test_no_officer_name_nrp_or_phone_reaches_the_liaison_anywhere(demo):
    pages = crawl(liaison_client())
    assert "/kpu/" in pages and "/api/v1/dashboard/map/" in pages
    assert len(pages) >= 10
    secrets = forbidden_strings()
    assert len(secrets) > 1000  # the whole roster is checked
    leaks = [(url, secret) for url, body in pages.items() for secret in secrets if secret in body]
    assert leaks == []


def test_every_intelligence_page_and_api_answers_403_or_404_to_the_liaison(demo):
    from django.contrib.auth import get_user_model

    from incidents.services import intel_create

    report = intel_create(
        by=get_user_model().objects.get(username="intel"),
        data={
            "subject": "Rencana aksi massa",
            "field": "politik",
            "source": "Sumber rahasia",
            "obtained_at": "2024-02-14T08:00:00+07:00",
            "source_reliability": "B",
            "info_credibility": 2,
            "what": "Massa akan bergerak ke kantor KPU",
        },
    )
    alert = Alert.objects.first()
    client = liaison_client()
    urls = [
        "/intel/",
        "/intel/laporan/",
        "/api/v1/intel/",
        f"/api/v1/intel/{report.pk}/",
        "/api/v1/alerts/",
        f"/api/v1/alerts/{alert.pk}/",
        "/api/v1/alerts/backtest/",
        "/api/v1/tips/",
        "/api/v1/ew-config/",
        "/api/v1/dashboard/stats/",
        "/operasi/dasbor/",
        "/operasi/dasbor/panel/",
        "/personel/",
        "/api/v1/officers/",
    ]
    for url in urls:
        status = client.get(url).status_code
        assert status in (403, 404), (url, status)
    assert IntelReport.objects.filter(pk=report.pk).exists()

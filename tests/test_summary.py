"""GET /api/v1/summary/: the headline figures, counted from the data."""

from django.core.management import call_command
from django.utils import timezone

from incidents.models import Alert, Incident


def test_it_counts_officers_tps_and_what_is_open(api_for, personas):
    call_command("seed_demo", "--allow-production", verbosity=0)
    reporter = personas["lapangan"]
    now = timezone.now()
    for status in ("baru", "ditangani", "selesai"):
        Incident.objects.create(
            type="unjuk_rasa", status=status, occurred_at=now, description="x", reporter=reporter
        )
    Incident.objects.create(
        type="unjuk_rasa",
        occurred_at=now,
        description="latihan",
        reporter=reporter,
        is_exercise=True,
    )
    Alert.objects.create(kind="report", level="merah", title="a")
    Alert.objects.create(kind="report", level="kuning", title="b", status="closed")

    response = api_for("penghubung_kpu").get("/api/v1/summary/")
    assert response.status_code == 200
    body = response.json()
    assert body["officers_total"] == 825
    assert body["officers_polres"] == 565
    assert body["officers_bko"] == 260
    assert body["tps_total"] == 462
    assert set(body["tps_by_category"]) == {"kurang_rawan", "rawan", "sangat_rawan", "khusus"}
    assert body["tps_by_category"]["khusus"] == 2
    assert sum(body["tps_by_category"].values()) == 462
    assert body["incidents_open"] == 2  # exercise and closed ones do not count
    assert body["alerts_open"] == 1


def test_the_openapi_schema_describes_the_summary_and_the_docs_load_without_a_cdn(client_for):
    client = client_for("komando")
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert "/api/v1/summary/" in schema.json()["paths"]
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "https://" not in docs

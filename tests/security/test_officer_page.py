"""An officer's page lists his dispatches and assignments only as far as the reader may see
them: the administrator reads the roster but not incidents (CAN_READ_ALL_INCIDENTS), so the
page must not show him the incidents an officer was sent to."""

from django.utils import timezone

from incidents.models import Dispatch, Incident
from operations.models import Kelurahan
from operations.reference import reference_load
from tests import factories


def test_the_admin_sees_an_officers_roster_page_without_his_incidents(personas, client_for):
    reference_load()
    officer = factories.OfficerFactory(name="Budi Santoso")
    incident = Incident.objects.create(
        type="bentrok",
        occurred_at=timezone.now(),
        description="bentrok pendukung di lapangan Samber",
        reporter=personas["komando"],
        kelurahan=Kelurahan.objects.get(name="Metro"),
    )
    Dispatch.objects.create(incident=incident, officer=officer, dispatched_by=personas["komando"])
    link = f"/kejadian/{incident.pk}/"
    page = client_for("komando").get(f"/personel/{officer.pk}/").content.decode()
    assert link in page  # the command post reads it
    admin = client_for("admin").get(f"/personel/{officer.pk}/")
    assert admin.status_code == 200 and "Budi Santoso" in admin.content.decode()
    assert link not in admin.content.decode()
    assert "Bentrok" not in admin.content.decode()

"""factory_boy factories, one for every model of the apps (tests/test_factories.py checks that
none is missing and that each builds a row that passes the model's own validation).

Values look like Kota Metro's: places inside the city, Indonesian names, Polri ranks, WIB
times around now. Related rows are made by sub-factories unless given:
`IncidentFactory(kelurahan=kel, reporter=personas["lapangan"])`. A user with a role:
`UserFactory(role="komando")`.
"""

import datetime as dt
import hashlib

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from core.models import AuditEvent, IdempotentRequest, UserSession, WorkerHeartbeat
from incidents.ew import default_config
from incidents.models import (
    Alert,
    Dispatch,
    EwBacktest,
    EwConfig,
    EwCorrection,
    EwScore,
    EwTrainingRun,
    GakkumduReferral,
    Incident,
    IncidentEvent,
    IncidentPhoto,
    IntelReport,
    ScoringFailure,
    Tip,
    TpsReturn,
    UseOfForce,
)
from logistics.models import CustodyEvent, CustodyPhoto, Leg, Site
from operations.models import (
    Assignment,
    CheckIn,
    DeploymentPattern,
    DeploymentPlan,
    ElectionPhase,
    ExerciseInject,
    ExerciseRun,
    Kecamatan,
    Kelurahan,
    Post,
    RecapSession,
    Scenario,
    Tps,
)
from personnel.models import (
    BkoContingent,
    BkoRequest,
    Officer,
    OfficerStatus,
    OfficerStatusChange,
    Satgas,
    Unit,
    UnitKind,
)

CENTRE = (-5.117, 105.307)  # Kota Metro
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def now():
    return timezone.now()


def near(i: int) -> tuple[float, float]:
    """A point inside the city, a little apart for each n."""
    return CENTRE[0] + (i % 17) * 0.0007, CENTRE[1] + (i % 13) * 0.0007


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"pengguna{n}")
    first_name = factory.Faker("first_name", locale="id_ID")
    password = factory.django.Password("factory-pass-2026")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])


# --- core ------------------------------------------------------------------------------------


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    action = "test.event"
    actor = factory.SubFactory(UserFactory)


class WorkerHeartbeatFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkerHeartbeat

    hostname = factory.Sequence(lambda n: f"worker-{n}")
    last_seen = factory.LazyFunction(now)


class UserSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserSession

    session_key = factory.Sequence(lambda n: f"{n:040d}")
    user = factory.SubFactory(UserFactory, role="komando")
    ip_address = "10.0.0.5"
    user_agent = "Mozilla/5.0 (Linux; Android 13)"


class IdempotentRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdempotentRequest

    user = factory.SubFactory(UserFactory, role="lapangan")
    key = factory.Sequence(lambda n: f"kunci-{n}")
    scope = "me.status"
    request_hash = factory.Sequence(lambda n: f"{n:064x}")
    status_code = 200
    response = factory.LazyFunction(lambda: {"status": "bertugas"})


# --- personnel -------------------------------------------------------------------------------


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"unit-{n}")
    name = factory.Sequence(lambda n: f"Sat Uji {n}")
    kind = UnitKind.SAT


class SatgasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Satgas

    code = factory.Sequence(lambda n: f"satgas-{n}")
    name = factory.Sequence(lambda n: f"Satgas Uji {n}")


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Officer

    nrp = factory.Sequence(lambda n: f"{87050000 + n}")
    name = factory.Faker("name", locale="id_ID")
    rank = 8
    unit = factory.SubFactory(UnitFactory)
    phone = factory.Sequence(lambda n: f"+62812{5550000 + n}")
    status = OfficerStatus.SIAGA


class OfficerStatusChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfficerStatusChange

    officer = factory.SubFactory(OfficerFactory)
    from_status = OfficerStatus.SIAGA
    to_status = OfficerStatus.BERTUGAS


class BkoRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BkoRequest

    kind = "Brimob"
    count = 30
    location = "Kantor KPU Kota Metro"
    reason = "Pengamanan rekapitulasi"
    needed_from = factory.LazyFunction(now)
    needed_until = factory.LazyAttribute(lambda o: o.needed_from + dt.timedelta(days=2))
    requested_by = factory.SubFactory(UserFactory, role="komando")


class BkoContingentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BkoContingent

    code = factory.Sequence(lambda n: f"bko-{n}")
    name = factory.Sequence(lambda n: f"Kompi Brimob {n}")
    home_unit = factory.SubFactory(UnitFactory, kind=UnitKind.EXTERNAL)
    strength = 30


# --- operations ------------------------------------------------------------------------------


class KecamatanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kecamatan

    name = factory.Sequence(lambda n: f"Kecamatan Uji {n}")
    code = factory.Sequence(lambda n: f"kec-{n}")
    lat = CENTRE[0]
    lon = CENTRE[1]


class KelurahanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kelurahan

    kecamatan = factory.SubFactory(KecamatanFactory)
    name = factory.Sequence(lambda n: f"Kelurahan Uji {n}")
    code = factory.Sequence(lambda n: f"kel-{n}")
    lat = factory.Sequence(lambda n: near(n)[0])
    lon = factory.Sequence(lambda n: near(n)[1])


class ElectionPhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ElectionPhase

    code = factory.Sequence(lambda n: f"tahap-{n}")
    name = factory.Sequence(lambda n: f"Tahapan {n}")
    starts_at = factory.LazyFunction(lambda: now() - dt.timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(days=3))


class TpsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tps

    kelurahan = factory.SubFactory(KelurahanFactory)
    number = factory.Sequence(lambda n: n % 900 + 1)
    lat = factory.Sequence(lambda n: near(n)[0])
    lon = factory.Sequence(lambda n: near(n)[1])
    dpt = 250


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    kind = "kpu"
    name = factory.Sequence(lambda n: f"Pos Uji {n}")
    lat = CENTRE[0]
    lon = CENTRE[1]
    required_strength = 4


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    officer = factory.SubFactory(OfficerFactory)
    post = factory.SubFactory(PostFactory)
    starts_at = factory.LazyFunction(now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=8))
    source = "manual"


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    assignment = factory.SubFactory(AssignmentFactory)
    officer = factory.SelfAttribute("assignment.officer")
    phone_time = factory.LazyFunction(now)
    lat = factory.LazyAttribute(lambda o: o.assignment.post.lat + 0.0002)
    lon = factory.LazyAttribute(lambda o: o.assignment.post.lon)
    accuracy = 12.0
    distance_m = 22


class DeploymentPatternFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeploymentPattern

    name = factory.Sequence(lambda n: f"Pola Uji {n}")
    rules = factory.LazyFunction(
        lambda: {
            cat: {"max_tps": 2, "officers": 1, "linmas": 2}
            for cat in ("kurang_rawan", "rawan", "sangat_rawan", "khusus")
        }
    )


class DeploymentPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeploymentPlan

    pattern = factory.SubFactory(DeploymentPatternFactory)
    reserve_share = 0.1
    starts_at = factory.LazyFunction(now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(days=1))
    coverage = factory.LazyFunction(lambda: {"tps": 0, "covered": 0})
    result = factory.LazyFunction(lambda: {"assignments": [], "clusters": []})


class ScenarioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scenario

    name = factory.Sequence(lambda n: f"skenario-{n}")
    title = factory.Sequence(lambda n: f"Skenario Uji {n}")
    definition = factory.LazyFunction(lambda: {"title": "Skenario Uji", "injects": []})
    source = "form"


class ExerciseRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExerciseRun

    scenario = factory.SubFactory(ScenarioFactory)
    scenario_version = 1
    definition = factory.LazyAttribute(lambda o: o.scenario.definition)
    speed = 10.0


class ExerciseInjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExerciseInject

    run = factory.SubFactory(ExerciseRunFactory)
    index = factory.Sequence(lambda n: n)
    kind = "tip"
    offset_seconds = 60
    due_at = factory.LazyFunction(now)
    spec = factory.LazyFunction(lambda: {"text": "Massa berkumpul di depan KPU."})


class RecapSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RecapSession

    kecamatan = factory.SubFactory(KecamatanFactory)
    post = factory.SubFactory(PostFactory, kind="ppk")
    starts_at = factory.LazyFunction(now)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(days=2))


# --- incidents -------------------------------------------------------------------------------


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident

    type = "unjuk_rasa"
    occurred_at = factory.LazyFunction(now)
    description = "Massa sekitar 50 orang berkumpul di depan kantor KPU, tertib."
    reporter = factory.SubFactory(UserFactory, role="lapangan")
    kelurahan = factory.SubFactory(KelurahanFactory)
    verify_due_at = factory.LazyFunction(lambda: now() + dt.timedelta(minutes=10))


class IncidentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentEvent

    incident = factory.SubFactory(IncidentFactory)
    kind = "created"
    by = factory.SelfAttribute("incident.reporter")


class DispatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dispatch

    incident = factory.SubFactory(IncidentFactory)
    officer = factory.SubFactory(OfficerFactory)
    dispatched_by = factory.SubFactory(UserFactory, role="komando")


class UseOfForceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UseOfForce

    incident = factory.SubFactory(IncidentFactory)
    used_at = factory.LazyFunction(now)
    stage = 1
    justification = "Kehadiran petugas untuk mencegah massa mendekat (tahap 1)."
    recorded_by = factory.SubFactory(UserFactory, role="komando")


class GakkumduReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GakkumduReferral

    incident = factory.SubFactory(IncidentFactory)
    category = "pidana"
    handed_over = "Dua saksi dan rekaman video diserahkan ke Sentra Gakkumdu."
    referred_by = factory.SubFactory(UserFactory, role="komando")


class IncidentPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncidentPhoto

    incident = factory.SubFactory(IncidentFactory)
    original = factory.LazyFunction(lambda: ContentFile(PNG, name="asli.png"))
    display = factory.LazyFunction(lambda: ContentFile(PNG, name="bersih.png"))
    sha256 = hashlib.sha256(PNG).hexdigest()
    content_type = "image/png"
    size = len(PNG)
    uploaded_by = factory.SelfAttribute("incident.reporter")


class TpsReturnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TpsReturn

    tps = factory.SubFactory(TpsFactory)
    status = "dibuka"
    reporter = factory.SubFactory(UserFactory, role="lapangan")


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    kind = "report"
    level = "merah"
    title = factory.Sequence(lambda n: f"Ancaman di Kelurahan Uji {n}")
    kelurahan = factory.SubFactory(KelurahanFactory)
    dedup_key = factory.Sequence(lambda n: f"report:test:{n}")


class IntelReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntelReport

    subject = "Rencana aksi massa ke kantor KPU"
    field = "politik"
    source = "Informan A"
    obtained_at = factory.LazyFunction(now)
    source_reliability = "B"
    info_credibility = 2
    what = "Sekitar 100 orang akan datang ke kantor KPU besok pagi menolak hasil rekapitulasi."
    author = factory.SubFactory(UserFactory, role="intel")
    kelurahan = factory.SubFactory(KelurahanFactory)


class TipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tip

    text = "Ada pembagian amplop di RT 03 malam ini menjelang pencoblosan."
    kelurahan = factory.SubFactory(KelurahanFactory)
    client_hash = factory.Sequence(lambda n: f"{n:064x}")


class EwScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EwScore

    tip = factory.SubFactory(TipFactory)
    engine_version = "ew-test"
    score = 40
    level = "kuning"
    reasons = factory.LazyFunction(lambda: ["peristiwa: massa berkumpul", "versi aturan: ew-test"])
    kelurahan = factory.SelfAttribute("tip.kelurahan")
    report_at = factory.LazyFunction(now)
    source = factory.LazyAttribute(lambda o: f"tip:{o.tip.client_hash}")


class EwConfigFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EwConfig

    version = factory.Sequence(lambda n: f"ew-test-{n}")
    config = factory.LazyFunction(
        lambda: {k: v for k, v in default_config().to_dict().items() if k != "version"}
    )


class EwCorrectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EwCorrection

    score = factory.SubFactory(EwScoreFactory)
    level = "merah"
    reason = "Senjata tajam diacungkan di TPS: ancaman nyata."
    by = factory.SubFactory(UserFactory, role="intel")


class EwTrainingRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EwTrainingRun

    version = factory.Sequence(lambda n: f"ew-run-{n}")
    requested_by = factory.SubFactory(UserFactory, role="intel")


class EwBacktestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EwBacktest

    config = factory.SubFactory(EwConfigFactory)
    against = "ew-2026.1"
    summary = factory.LazyFunction(lambda: {"reports": 0, "changed": 0})


class ScoringFailureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScoringFailure

    kind = "tip"
    report_id = factory.Sequence(lambda n: n + 1)
    engine_version = "ew-test"
    attempts = 1
    error = "ValueError: rusak"


# --- logistics -------------------------------------------------------------------------------


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    code = factory.Sequence(lambda n: f"pps-uji-{n}")
    kind = "pps"
    name = factory.Sequence(lambda n: f"PPS Uji {n}")
    lat = CENTRE[0]
    lon = CENTRE[1]


class LegFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Leg

    code = factory.Sequence(lambda n: f"uji-{n}")
    stage = "pps_tps"
    origin = factory.SubFactory(SiteFactory)
    destination = factory.SubFactory(
        SiteFactory, kind="tps", code=factory.Sequence(lambda n: f"tps-uji-{n}")
    )
    planned_departure = factory.LazyFunction(now)
    planned_arrival = factory.LazyAttribute(lambda o: o.planned_departure + dt.timedelta(hours=1))
    manifest = factory.LazyFunction(lambda: {"kotak_suara": 5})
    seals = factory.LazyFunction(lambda: ["UJI-1"])


class CustodyEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustodyEvent

    leg = factory.SubFactory(LegFactory)
    kind = "berangkat"
    recorded_by = factory.SubFactory(UserFactory)


class CustodyPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustodyPhoto

    event = factory.SubFactory(CustodyEventFactory)
    original = factory.LazyFunction(lambda: ContentFile(PNG, name="asli.png"))
    display = factory.LazyFunction(lambda: ContentFile(PNG, name="bersih.png"))
    sha256 = hashlib.sha256(PNG).hexdigest()
    content_type = "image/png"
    size = len(PNG)
    uploaded_by = factory.SelfAttribute("event.recorded_by")

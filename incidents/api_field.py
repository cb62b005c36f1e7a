"""The field officer's duty loop over the API ("Tugas saya", docs/api.md): his duty, each step
of a dispatch, his status and his check-ins. Every POST takes an Idempotency-Key made on the
phone (core/idempotency.py): a retry answers what the first request got, without a second
write. The rules and writes are incidents/duty.py's and operations.services.checkin_create's.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import (
    CAN_CHECK_IN,
    CAN_READ_OWN_DUTY,
    CAN_REPORT_OWN_DISPATCH,
    CAN_REPORT_OWN_STATUS,
)
from core.drf import ID_MAX, body_object
from core.idempotency import HEADER, KEY_MAX, idempotency_key_from, idempotent_answer
from core.phonetime import PhoneTimeField
from incidents import duty
from incidents.models import CrowdColour, IncidentType
from operations.selectors import assignment_get_for_checkin
from operations.services import checkin_create
from personnel.models import OfficerStatus, OfficerStatusChange

KEY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description=f"made on the phone, one per tap (1-{KEY_MAX} characters); per user",
)
CONFLICT = OpenApiResponse(
    description="Idempotency-Key already used with another body (code idempotency_conflict)"
)


class StepBackwardsError(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "step_backwards"


STATE_SCHEMA = {"type": "string", "enum": [duty.STATE_DISPATCHED, *duty.STEPS]}


# --- answers ----------------------------------------------------------------------------------


class DutyOfficerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    nrp = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.CharField(source="get_rank_display", help_text="e.g. Bripka")
    unit = serializers.CharField(source="unit.name")
    status = serializers.ChoiceField(choices=OfficerStatus.choices)
    status_label = serializers.CharField(source="get_status_display")


class DutyTpsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.SerializerMethodField(help_text="kelurahan code and number, metro-005")
    name = serializers.SerializerMethodField(help_text="TPS 005")
    kelurahan = serializers.CharField(source="kelurahan.name")

    def get_code(self, tps) -> str:
        return f"{tps.kelurahan.code}-{tps.number:03d}"

    def get_name(self, tps) -> str:
        return f"TPS {tps.number:03d}"


class DutyPostSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kelurahan = serializers.CharField(source="kelurahan.name", default=None, allow_null=True)
    lat = serializers.FloatField()
    lon = serializers.FloatField()


class DutyAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    post = DutyPostSerializer()
    tps = DutyTpsSerializer(source="post.tps", many=True, help_text="the TPS the post guards")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    commander = serializers.SerializerMethodField()
    radio_channel = serializers.SerializerMethodField()

    def get_commander(self, assignment) -> str | None:
        return assignment.post.commander or None

    def get_radio_channel(self, assignment) -> str | None:
        return assignment.post.radio_channel or None


class DutyIncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=IncidentType.choices)
    type_label = serializers.CharField(source="get_type_display")
    colour = serializers.ChoiceField(choices=CrowdColour.choices)
    tps = serializers.SerializerMethodField()
    kelurahan = serializers.CharField(source="kelurahan.name", default=None, allow_null=True)
    summary = serializers.SerializerMethodField()
    is_exercise = serializers.BooleanField()

    def get_tps(self, incident) -> str | None:
        return str(incident.tps) if incident.tps_id else None

    def get_summary(self, incident) -> str:
        return duty.incident_summary(incident)


class DutyDispatchSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    incident = DutyIncidentSerializer()
    dispatched_at = serializers.DateTimeField()
    en_route_at = serializers.DateTimeField(allow_null=True, help_text="berangkat (server)")
    on_scene_at = serializers.DateTimeField(allow_null=True, help_text="tiba (server)")
    completed_at = serializers.DateTimeField(
        source="cleared_at", allow_null=True, help_text="selesai (server)"
    )
    state = serializers.SerializerMethodField(help_text="the furthest step recorded")

    @extend_schema_field(STATE_SCHEMA)
    def get_state(self, dispatch) -> str:
        return duty.dispatch_state(dispatch)


class DutySerializer(serializers.Serializer):
    officer = DutyOfficerSerializer(allow_null=True, help_text="null: account not linked")
    assignments = DutyAssignmentSerializer(many=True)
    dispatches = DutyDispatchSerializer(many=True)
    server_time = serializers.DateTimeField()


class StatusAnswerSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=OfficerStatus.choices)
    status_label = serializers.CharField()
    changed_at = serializers.DateTimeField(help_text="when his status last changed")


class CheckInAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    assignment = serializers.IntegerField()
    at = serializers.DateTimeField(help_text="the server's time")
    distance_m = serializers.IntegerField(allow_null=True, help_text="from the post")


# --- requests ---------------------------------------------------------------------------------


class ProgressSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=duty.STEPS)
    phone_time = PhoneTimeField()


class OwnStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[s.value for s in duty.OWN_STATUSES])
    phone_time = PhoneTimeField()


class OwnCheckInSerializer(serializers.Serializer):
    assignment = serializers.IntegerField(min_value=1, max_value=ID_MAX)
    lat = serializers.FloatField(required=False, allow_null=True, default=None)
    lon = serializers.FloatField(required=False, allow_null=True, default=None)
    accuracy = serializers.FloatField(
        required=False, allow_null=True, default=None, min_value=0.0, max_value=100_000.0
    )
    phone_time = PhoneTimeField()


def _fingerprint_data(data: dict) -> dict:
    """The validated body as JSON for the fingerprint (the phone's time as it was sent)."""
    out = dict(data)
    if out.get("phone_time") is not None:
        out["phone_time"] = out["phone_time"].raw
    return out


def _officer_or_403(user):
    officer = duty.officer_for_user(user)
    if officer is None:
        raise PermissionDenied(
            _("Akun ini belum terhubung dengan data personel. Hubungi administrator.")
        )
    return officer


def _answer(code: int, body: dict, replayed: bool) -> Response:
    response = Response(body, status=code)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class DutyView(APIView):
    """Tugas saya: the officer's own assignments (under way or to come) and the dispatches sent
    to him that are still open, with the server's time (the phone shows how far off it is)."""

    read_roles = CAN_READ_OWN_DUTY

    @extend_schema(responses=DutySerializer)
    def get(self, request):
        officer = duty.officer_for_user(request.user)
        now = timezone.now()
        body = {"officer": officer, "assignments": [], "dispatches": [], "server_time": now}
        if officer is not None:
            body["assignments"] = duty.duty_assignments(officer=officer, now=now)
            body["dispatches"] = duty.duty_dispatches(officer=officer)
        return Response(DutySerializer(body).data)


class DispatchProgressView(APIView):
    """A step of a dispatch, reported by the officer sent: berangkat, tiba, selesai (only
    forward; the same step again changes nothing)."""

    read_roles = CAN_REPORT_OWN_DISPATCH
    write_roles = CAN_REPORT_OWN_DISPATCH

    @extend_schema(
        parameters=[KEY_PARAMETER],
        request=ProgressSerializer,
        responses={200: DutyDispatchSerializer, 422: CONFLICT},
    )
    def post(self, request, pk: int):
        key = idempotency_key_from(request)
        try:
            dispatch = duty.dispatch_get_for_user(user=request.user, pk=pk)
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc) or None) from None
        body = ProgressSerializer(data=body_object(request.data))
        body.is_valid(raise_exception=True)
        data = body.validated_data

        def run():
            try:
                done, _written = duty.dispatch_progress_report(
                    dispatch=dispatch,
                    by=request.user,
                    step=data["step"],
                    phone_time=data.get("phone_time"),
                )
            except duty.StepBackwards as exc:
                raise StepBackwardsError(str(exc)) from None
            done.incident = dispatch.incident
            return status.HTTP_200_OK, DutyDispatchSerializer(done).data

        return _answer(
            *idempotent_answer(
                user=request.user,
                key=key,
                scope=f"dispatch.progress:{dispatch.pk}",
                data=_fingerprint_data(data),
                run=run,
            )
        )


class OwnStatusView(APIView):
    """The officer's own status: bertugas, istirahat, lepas_dinas, or butuh_bantuan (needs
    backup: an alert reaches the command post at once)."""

    read_roles = CAN_REPORT_OWN_STATUS
    write_roles = CAN_REPORT_OWN_STATUS

    @extend_schema(
        parameters=[KEY_PARAMETER],
        request=OwnStatusSerializer,
        responses={200: StatusAnswerSerializer, 422: CONFLICT},
    )
    def post(self, request):
        key = idempotency_key_from(request)
        officer = _officer_or_403(request.user)
        body = OwnStatusSerializer(data=body_object(request.data))
        body.is_valid(raise_exception=True)
        data = body.validated_data

        def run():
            duty.officer_status_report(
                officer=officer,
                by=request.user,
                status=data["status"],
                phone_time=data.get("phone_time"),
            )
            last = (
                OfficerStatusChange.objects.filter(officer=officer).order_by("-at", "-id").first()
            )
            answer = {
                "status": data["status"],
                "status_label": str(OfficerStatus(data["status"]).label),
                "changed_at": last.at if last else timezone.now(),
            }
            return status.HTTP_200_OK, StatusAnswerSerializer(answer).data

        return _answer(
            *idempotent_answer(
                user=request.user,
                key=key,
                scope="me.status",
                data=_fingerprint_data(data),
                run=run,
            )
        )


class CheckInView(APIView):
    """A check-in (apel) at the post of one of his own assignments, with the phone's position
    when it has one: the answer says how far from the post that is."""

    read_roles = CAN_CHECK_IN
    write_roles = CAN_CHECK_IN

    @extend_schema(
        parameters=[KEY_PARAMETER],
        request=OwnCheckInSerializer,
        responses={201: CheckInAnswerSerializer, 422: CONFLICT},
    )
    def post(self, request):
        key = idempotency_key_from(request)
        officer = _officer_or_403(request.user)
        body = OwnCheckInSerializer(data=body_object(request.data))
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            assignment = assignment_get_for_checkin(officer=officer, pk=data["assignment"])
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from None
        if assignment is None:
            raise serializers.ValidationError({"assignment": [_("Penugasan tidak ditemukan.")]})

        def run():
            try:
                checkin = checkin_create(
                    by=request.user,
                    officer=officer,
                    assignment=assignment,
                    lat=data["lat"],
                    lon=data["lon"],
                    accuracy=data["accuracy"],
                    phone_time=data.get("phone_time"),
                )
            except DjangoPermissionDenied as exc:
                raise PermissionDenied(str(exc)) from None
            answer = {
                "id": checkin.pk,
                "assignment": assignment.pk,
                "at": checkin.at,
                "distance_m": checkin.distance_m,
            }
            return status.HTTP_201_CREATED, CheckInAnswerSerializer(answer).data

        return _answer(
            *idempotent_answer(
                user=request.user,
                key=key,
                scope="me.check-in",
                data=_fingerprint_data(data),
                run=run,
            )
        )

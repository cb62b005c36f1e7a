"""What a new field report or Laporan Informasi must be, checked once for the API and the HTML
forms alike: the serializers both use, and the fast check of a well-formed incident body (the
hot path of polling day; it answers None when the body needs the serializer's full check)."""

import datetime as dt
import math

from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.dates import BoundedDatesModelSerializer, BoundedDateTimeField, datetime_in_range
from incidents import services
from incidents.models import (
    CrowdColour,
    EwScore,
    IncidentType,
    IntelReport,
)
from operations.models import Kelurahan, Post, Tps

# Indonesia's extent, generously: a point outside it is a broken GPS fix or a typo.
INDONESIA = {"south": -11.5, "north": 6.5, "west": 94.5, "east": 141.5}
MAX_DESCRIPTION = 5000
CLOCK_SKEW = dt.timedelta(minutes=5)


class IncidentCreateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=IncidentType.choices)
    occurred_at = BoundedDateTimeField()
    tps = serializers.PrimaryKeyRelatedField(
        queryset=Tps.objects.all(), required=False, allow_null=True
    )
    post = serializers.PrimaryKeyRelatedField(
        queryset=Post.objects.all(), required=False, allow_null=True
    )
    kelurahan = serializers.SlugRelatedField(
        slug_field="name", queryset=Kelurahan.objects.all(), required=False, allow_null=True
    )
    lat = serializers.FloatField(required=False, allow_null=True)
    lon = serializers.FloatField(required=False, allow_null=True)
    description = serializers.CharField(max_length=MAX_DESCRIPTION)
    crowd_size = serializers.IntegerField(
        min_value=0, max_value=1_000_000, required=False, allow_null=True
    )
    casualties = serializers.IntegerField(min_value=0, max_value=10_000, default=0)
    colour = serializers.ChoiceField(choices=CrowdColour.choices, default=CrowdColour.HIJAU)

    def validate_occurred_at(self, value):
        if value > timezone.now() + CLOCK_SKEW:
            raise ValidationError("Waktu kejadian tidak boleh di masa depan.")
        return value

    def validate(self, attrs):
        lat, lon = attrs.get("lat"), attrs.get("lon")
        if (lat is None) != (lon is None):
            raise ValidationError({"lat": "Lintang dan bujur harus diisi bersama."})
        if lat is not None and not (
            INDONESIA["south"] <= lat <= INDONESIA["north"]
            and INDONESIA["west"] <= lon <= INDONESIA["east"]
        ):
            raise ValidationError({"lat": "Koordinat di luar wilayah Indonesia."})
        if not any(attrs.get(k) is not None for k in ("tps", "post", "kelurahan", "lat")):
            raise ValidationError(
                {"location": "Pilih TPS atau pos, kelurahan, atau isi koordinat lokasi."}
            )
        return attrs


TYPES = frozenset(IncidentType.values)
COLOURS = frozenset(CrowdColour.values)
DATETIME = serializers.DateTimeField()  # DRF's own parsing and time-zone rules, unbound


def _int_or_none(raw: dict, name: str, top: int) -> tuple[bool, int | None]:
    value = raw[name]
    ok = value is None or (type(value) is int and 0 <= value <= top)
    return ok, value


def _number(value) -> float | None:
    """A JSON number as the serializer's FloatField gives it; None when it is anything else."""
    if type(value) not in (int, float) or not math.isfinite(value):
        return None
    return float(value)


def incident_create_fast(raw) -> dict | None:
    """Validate a well-formed JSON report the way IncidentCreateSerializer does, without it.

    Returns what the serializer's validated_data would hold (related rows as instances carrying
    only what filing needs: one query for a TPS, its kelurahan included), or None for anything
    unusual or wrong: the serializer then decides and words the errors, so every rule and every
    message stays the serializer's. tests/test_incidents.py holds the two to the same answers.
    """
    if type(raw) is not dict:
        return None  # a form post (QueryDict) or a JSON list: the serializer's business
    kind = raw.get("type")
    colour = raw.get("colour", CrowdColour.HIJAU)
    when = raw.get("occurred_at")
    text = raw.get("description")
    if not (isinstance(kind, str) and isinstance(colour, str) and isinstance(text, str)):
        return None
    if kind not in TYPES or colour not in COLOURS or type(when) is not str:
        return None
    try:
        when = DATETIME.to_internal_value(when)
    except ValidationError:
        return None
    if not datetime_in_range(when):
        return None  # the serializer's BoundedDateTimeField words it
    text = text.strip()  # CharField trims
    if not text or len(text) > MAX_DESCRIPTION or "\x00" in text:
        return None
    try:
        text.encode()  # a lone surrogate: the serializer words that refusal
    except UnicodeEncodeError:
        return None
    if when > timezone.now() + CLOCK_SKEW:
        return None
    casualties = raw.get("casualties", 0)
    if type(casualties) is not int or not 0 <= casualties <= 10_000:
        return None
    data = {
        "type": kind,
        "occurred_at": when,
        "description": text,
        "casualties": casualties,
        "colour": colour,
    }
    if "crowd_size" in raw:
        ok, data["crowd_size"] = _int_or_none(raw, "crowd_size", 1_000_000)
        if not ok:
            return None
    for name in ("lat", "lon"):
        if name in raw:
            value = raw[name]
            data[name] = None if value is None else _number(value)
            if value is not None and data[name] is None:
                return None
    lat, lon = data.get("lat"), data.get("lon")
    if (lat is None) != (lon is None):
        return None
    if lat is not None and not (
        INDONESIA["south"] <= lat <= INDONESIA["north"]
        and INDONESIA["west"] <= lon <= INDONESIA["east"]
    ):
        return None
    for name in ("tps", "post", "kelurahan"):
        if name in raw:
            data[name] = _place(name, raw[name])
            if data[name] is False:
                return None
    if not any(data.get(k) is not None for k in ("tps", "post", "kelurahan", "lat")):
        return None
    return data


def _one(rows):
    """The row of a unique lookup or None, without the ORDER BY that `.first()` or the model's
    default ordering would add: it costs more to compile than the whole query is worth here."""
    found = list(rows.order_by()[:1])
    return found[0] if found else None


def _place(name: str, value):
    """The related row `value` names, as a partial instance; None for null, False when it is
    not a well-formed reference to an existing row (the serializer then says why)."""
    if value is None:
        return None
    if name == "kelurahan":
        if type(value) is not str or not value:
            return False
        row = _one(Kelurahan.objects.filter(name=value).values_list("id", "name"))
        return Kelurahan.from_db("default", ["id", "name"], row) if row else False
    if type(value) is not int:
        return False
    if name == "post":
        row = _one(Post.objects.filter(pk=value).values_list("id", "lat", "lon"))
        return Post.from_db("default", ["id", "lat", "lon"], row) if row else False
    row = _one(
        Tps.objects.filter(pk=value).values_list(
            "id", "kelurahan_id", "lat", "lon", "kelurahan__name"
        )
    )
    if row is None:
        return False
    tps = Tps.from_db("default", ["id", "kelurahan_id", "lat", "lon"], row[:4])
    tps.kelurahan = Kelurahan.from_db("default", ["id", "name"], (row[1], row[4]))
    return tps


class ScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = EwScore
        fields = ["score", "level", "reasons", "engine_version", "scored_at"]


class IntelSerializer(BoundedDatesModelSerializer):
    kelurahan = serializers.SlugRelatedField(
        slug_field="name", queryset=Kelurahan.objects.all(), required=False, allow_null=True
    )
    tps = serializers.PrimaryKeyRelatedField(
        queryset=Tps.objects.all(), required=False, allow_null=True
    )
    author = serializers.CharField(source="author.username", read_only=True)
    scores = ScoreSerializer(many=True, read_only=True)

    class Meta:
        model = IntelReport
        fields = ["id", *services.INTEL_FIELDS, "author", "created_at", "scores"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"what": {"max_length": 20_000}, "subject": {"max_length": 200}}

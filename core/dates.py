"""Datetime query parameters: parsed once, aware, and within the years the system can handle.

A date such as 9999-12-31T23:59:59-14:00 parses, but is past the end of Python's datetime in
UTC: converting it (for the database, for a window added to it) raised OverflowError, a 500.
Every datetime a client sends in a query goes through here and is a field error instead.

Bodies too: a time stored from 1900 came back in WIB's local mean time of then, +07:07:12,
which RFC 3339 (the schema's date-time) has no room for. Serializers with a writable datetime
use BoundedDateTimeField, or derive from BoundedDatesModelSerializer for their model's columns.
"""

import datetime as dt

from django import forms
from django.db import models
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from rest_framework import serializers

YEAR_MIN, YEAR_MAX = 2000, 2099
_LOW = dt.datetime(YEAR_MIN, 1, 1, tzinfo=dt.UTC)
_HIGH = dt.datetime(YEAR_MAX + 1, 1, 1, tzinfo=dt.UTC)
OUT_OF_RANGE = _("Waktu harus di antara tahun %(low)d dan %(high)d, zona -12:00 sampai +14:00.") % {
    "low": YEAR_MIN,
    "high": YEAR_MAX,
}
NEEDS_ZONE = _("Waktu ISO 8601 dengan zona waktu, mis. 2024-02-14T07:00:00+07:00.")


# UTC offsets as places on Earth have them. Python takes up to +-23:59 and PostgreSQL only up
# to +-15:59: "-21:27" reached the database and failed there, a 500 (the long fuzz found it).
OFFSET_LOW, OFFSET_HIGH = -dt.timedelta(hours=12), dt.timedelta(hours=14)


def datetime_in_range(value: dt.datetime) -> bool:
    """Whether an aware datetime lies in the years the system handles, with a UTC offset a
    place on Earth has (never raises)."""
    try:
        offset = value.utcoffset()
        if offset is None or not OFFSET_LOW <= offset <= OFFSET_HIGH:
            return False
        return _LOW <= value.astimezone(dt.UTC) < _HIGH
    except (OverflowError, ValueError):
        return False


def datetime_param(params, name: str, default: dt.datetime | None = None) -> dt.datetime | None:
    """An aware datetime from a query parameter, or the default when it is absent; raises a
    DRF ValidationError naming the parameter when it is malformed, naive or out of range."""
    raw = params.get(name, "")
    if raw in ("", None):
        return default
    try:
        value = parse_datetime(raw)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise serializers.ValidationError({name: [NEEDS_ZONE]})
    if not datetime_in_range(value):
        raise serializers.ValidationError({name: [OUT_OF_RANGE]})
    return value


class _BoundedIsoDateTimeField(IsoDateTimeField):
    def clean(self, value):
        value = super().clean(value)
        if value is not None and not datetime_in_range(value):
            raise forms.ValidationError(OUT_OF_RANGE, code="out_of_range")
        return value


class BoundedIsoDateTimeFilter(filters.IsoDateTimeFilter):
    """django-filter's ISO datetime filter, refusing years the system cannot handle (400)."""

    field_class = _BoundedIsoDateTimeField


class BoundedDateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, refusing years the system cannot handle (a field error)."""

    default_error_messages = {
        **serializers.DateTimeField.default_error_messages,
        "overflow": OUT_OF_RANGE,
    }

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if result.tzinfo is not None and not datetime_in_range(result):
            raise serializers.ValidationError(OUT_OF_RANGE, code="out_of_range")
        return result


class BoundedDatesModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose model datetime columns take only the years handled."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: BoundedDateTimeField,
    }

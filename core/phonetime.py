"""The phone's own clock, sent with each tap of the field app (`phone_time`).

The server's time is what counts (it is what the response-time figures and the order of
events are built from); the phone's is kept beside it as the officer's claim of when he
tapped, which matters when the tap waited in the outbox without signal. A phone clock can be
wrong (set by hand, reset to 1970 by a flat battery), so a tap is never refused for it: the
time is stored as sent and flagged `suspect` when it is more than AHEAD_MAX ahead of the
server or more than BEHIND_MAX behind it (an outbox rarely waits a whole day), and one that
parses but lies outside the years the system handles is stored as null, flagged, with the text
sent kept in the audit trail.
"""

import dataclasses
import datetime as dt

from rest_framework import serializers

from core.dates import datetime_in_range

AHEAD_MAX = dt.timedelta(minutes=5)
BEHIND_MAX = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class PhoneTime:
    at: dt.datetime | None  # None: it parsed, but no usable time (out of range)
    raw: str


class PhoneTimeField(serializers.DateTimeField):
    """An ISO 8601 time from the phone (optional, null allowed), as a PhoneTime: a malformed
    text is a 400; a well-formed one outside the years handled is kept, unusable."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("help_text", "the phone's own time of the tap (ISO 8601)")
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        raw = str(value)[:64]
        try:
            result = super().to_internal_value(value)
        except serializers.ValidationError as exc:
            if "overflow" not in exc.get_codes():
                raise
            return PhoneTime(at=None, raw=raw)
        if result.tzinfo is None or not datetime_in_range(result):
            return PhoneTime(at=None, raw=raw)
        return PhoneTime(at=result, raw=raw)


def phone_time_check(
    phone: PhoneTime | None, server_at: dt.datetime
) -> tuple[dt.datetime | None, bool]:
    """(the phone's time to store, whether it is suspect) for a tap the server got at
    `server_at`."""
    if phone is None:
        return None, False
    if phone.at is None:
        return None, True
    off = phone.at - server_at
    return phone.at, off > AHEAD_MAX or -off > BEHIND_MAX

"""Template context: the SMS fallback's number and code tables for the field app's outbox
(incidents/sms.py), on the field pages when a gateway number is set."""

from django.conf import settings

from incidents.sms import codes


def sms_fallback(request) -> dict:
    if not settings.SMS_GATEWAY_NUMBER:
        return {}
    return {
        "sms_fallback": codes()
        | {"number": settings.SMS_GATEWAY_NUMBER, "after_minutes": settings.SMS_AFTER_MINUTES}
    }

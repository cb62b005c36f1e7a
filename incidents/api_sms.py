"""The inbound SMS webhook (incidents/sms.py): the command post's SMS gateway posts each text
it receives here; the answer carries the reply to send back to the officer.

POST /api/v1/sms/inbound/ with the gateway's shared secret (`X-Sispam-Secret` header, or a
`secret` field) and either `from` + `text` (form or JSON: the gammu-smsd script in deploy/sms/)
or the Android SMS Gateway app's webhook body (`{"event": "sms:received", "payload":
{"phoneNumber", "message"}}`). 200 with `{"stored": true, "created", "id", "reply"}` when the
report is filed (created false: the same key was filed before, by SMS or by data); 400 with the
reply saying what to fix; 403 for an unknown number or a TPS not his (with a reply), and for a
wrong secret (without: nothing is sent to whoever tried); 404 while SMS_WEBHOOK_SECRET is unset.
"""

import hmac
import json

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.sms import SmsRefused, sms_file

TEXT_MAX = 480  # three SMS at most; a coded report fits in one


def _fields(request) -> tuple[str, str, str]:
    """(secret, sender, text) from a form or a JSON body, in either shape."""
    secret = request.headers.get("X-Sispam-Secret", "")
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            body = {}
        body = body if isinstance(body, dict) else {}
        payload = body.get("payload") if isinstance(body.get("payload"), dict) else body
        sender = payload.get("phoneNumber") or payload.get("from") or ""
        text = payload.get("message") or payload.get("text") or ""
        secret = secret or str(body.get("secret") or "")
    else:
        sender, text = request.POST.get("from", ""), request.POST.get("text", "")
        secret = secret or request.POST.get("secret", "")
    return secret, str(sender)[:32], str(text)[:TEXT_MAX]


@csrf_exempt  # a gateway, not a browser: the shared secret is its credential
@require_POST
def sms_inbound(request):
    expected = settings.SMS_WEBHOOK_SECRET
    if not expected:
        raise Http404("SMS gateway not configured")
    secret, sender, text = _fields(request)
    if not hmac.compare_digest(secret.encode(), expected.encode()):
        return JsonResponse({"stored": False, "reply": ""}, status=403)
    try:
        report, created, reply = sms_file(sender=sender, text=text)
    except SmsRefused as refused:
        return JsonResponse({"stored": False, "reply": refused.reply}, status=refused.status)
    except PermissionDenied as exc:
        return JsonResponse({"stored": False, "reply": str(exc)}, status=403)
    return JsonResponse({"stored": True, "created": created, "id": report.pk, "reply": reply})

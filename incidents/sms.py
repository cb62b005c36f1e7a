"""Reports by SMS when data fails (docs/field-app.md, "SMS when data fails").

The phone's outbox offers an item that has waited SMS_AFTER_MINUTES (3) as an `sms:` link to
the command post's gateway number; the text is coded and short (one SMS, under 160 characters):

    SPM L <place> <colour> <type> <crowd> <casualties> <key> <check>   a field report
    SPM T <tps> <status> <incidents> <key> <check>                      a TPS return

- place: `T<tps id>`, `K<kelurahan code>` or `P<lat>,<lon>` (5 decimals); tps: the TPS id;
- colour: H (hijau), K (kuning), M (merah); type: the two letters of TYPE_CODES;
- crowd, casualties: whole numbers (0 when none); status: the letters of STATUS_CODES;
  incidents: 0 (none) or 1 (some);
- key: the outbox item's idempotency key, so the data copy that arrives later is the same
  report (keys are per reporter, and the reporter is the officer the sending number belongs to);
- check: one digit over everything before it (`check_digit`), which catches a mistyped text.

The inbound webhook (incidents/api_sms.py) checks the gateway's shared secret and the sender
against the roster's phone numbers, parses, and files the report through the same services as
the API, once. A text it cannot read is answered with what to fix, and nothing is written.
"""

import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.access import CAN_FILE_FIELD_REPORTS, CAN_FILE_TPS_RETURNS, user_has_role
from incidents import services, tps_returns
from incidents.models import IDEMPOTENCY_KEY_MAX, CrowdColour, IncidentType
from operations.models import Kelurahan, Tps, TpsStatus
from personnel.models import Officer

PREFIX = "SPM"
TYPE_CODES = {
    IncidentType.UNJUK_RASA: "UR",
    IncidentType.BENTROK: "BT",
    IncidentType.INTIMIDASI: "IN",
    IncidentType.POLITIK_UANG: "PU",
    IncidentType.PERUSAKAN: "PR",
    IncidentType.PENGHADANGAN: "PH",
    IncidentType.HOAKS: "HK",
    IncidentType.GANGGUAN_TPS: "GT",
    IncidentType.KECELAKAAN: "KC",
    IncidentType.LAINNYA: "LN",
}
COLOUR_CODES = {CrowdColour.HIJAU: "H", CrowdColour.KUNING: "K", CrowdColour.MERAH: "M"}
STATUS_CODES = {
    TpsStatus.DIBUKA: "B",
    TpsStatus.PEMUNGUTAN: "P",
    TpsStatus.PENGHITUNGAN: "H",
    TpsStatus.SELESAI: "S",
    TpsStatus.DIKIRIM: "D",
}
COUNT_MAX = 100_000
KEY_RE = re.compile(rf"[A-Za-z0-9_-]{{8,{IDEMPOTENCY_KEY_MAX}}}")


def check_digit(body: str) -> str:
    """One digit over the text before it: the sum of each character's code times its
    position (from 1), modulo 10. static/js/field.js computes the same."""
    return str(sum((i + 1) * ord(c) for i, c in enumerate(body)) % 10)


def codes() -> dict:
    """The code tables for the phone (the page hands them to static/js/field.js)."""
    return {
        "prefix": PREFIX,
        "types": {str(k): v for k, v in TYPE_CODES.items()},
        "colours": {str(k): v for k, v in COLOUR_CODES.items()},
        "statuses": {str(k): v for k, v in STATUS_CODES.items()},
    }


@dataclass
class Parsed:
    kind: str  # "incident" or "tps_return"
    key: str
    data: dict


class SmsRefused(Exception):
    """The text cannot be filed: `reply` says what to fix (sent back to the sender)."""

    def __init__(self, reply: str, status: int = 400):
        super().__init__(reply)
        self.reply = reply
        self.status = status


def _count(token: str, what: str) -> int:
    if not token.isdigit() or int(token) > COUNT_MAX:
        raise SmsRefused(_("%(w)s harus angka 0 sampai %(n)d.") % {"w": what, "n": COUNT_MAX})
    return int(token)


def _place(token: str) -> dict:
    if token[:1] == "T" and token[1:].isdigit():
        tps = Tps.objects.select_related("kelurahan").filter(pk=int(token[1:])).first()
        if tps is None:
            raise SmsRefused(_("TPS %(t)s tidak dikenal.") % {"t": token[1:]})
        return {"tps": tps}
    if token[:1] == "K" and len(token) > 1:
        kelurahan = Kelurahan.objects.filter(code=token[1:].lower()).first()
        if kelurahan is None:
            raise SmsRefused(_("Kelurahan %(k)s tidak dikenal.") % {"k": token[1:]})
        return {"kelurahan": kelurahan}
    match = re.fullmatch(r"P(-?\d{1,2}\.\d{1,6}),(-?\d{1,3}\.\d{1,6})", token)
    if match:
        return {"lat": float(match.group(1)), "lon": float(match.group(2))}
    raise SmsRefused(_("Tempat harus T<nomor TPS>, K<kode kelurahan> atau P<lintang>,<bujur>."))


def _reverse(table: dict, token: str, what: str) -> str:
    found = [k for k, v in table.items() if v == token.upper()]
    if not found:
        raise SmsRefused(
            _("%(w)s harus salah satu dari: %(c)s.") % {"w": what, "c": ", ".join(table.values())}
        )
    return str(found[0])


def sms_parse(text: str) -> Parsed:
    """The report in a coded text, or SmsRefused saying what is wrong."""
    words = (text or "").split()
    if len(words) < 2 or words[0].upper() != PREFIX:
        raise SmsRefused(_("Awali dengan SPM L (laporan) atau SPM T (laporan TPS)."))
    body, check = " ".join(words[:-1]), words[-1]
    if check_digit(body) != check:
        raise SmsRefused(_("Angka pemeriksa salah: kirim ulang teks dari aplikasi tanpa diubah."))
    kind = words[1].upper()
    if kind == "L" and len(words) == 9:
        _p, _k, place, colour, type_, crowd, casualties, key, _c = words
        data = {
            **_place(place),
            "colour": _reverse(COLOUR_CODES, colour, _("Situasi")),
            "type": _reverse(TYPE_CODES, type_, _("Jenis")),
            "crowd_size": _count(crowd, _("Jumlah massa")) or None,
            "casualties": _count(casualties, _("Korban")),
        }
        parsed = Parsed("incident", key, data)
    elif kind == "T" and len(words) == 7:
        _p, _k, tps, status, incidents, key, _c = words
        data = {
            **_place(f"T{tps}"),
            "status": _reverse(STATUS_CODES, status, _("Status TPS")),
            "incidents": incidents == "1",
        }
        if incidents not in ("0", "1"):
            raise SmsRefused(_("Kejadian di TPS: 0 (tidak ada) atau 1 (ada)."))
        parsed = Parsed("tps_return", key, data)
    else:
        raise SmsRefused(
            _(
                "Susunan salah. Laporan: SPM L tempat situasi jenis massa korban kunci periksa. "
                "TPS: SPM T tps status kejadian kunci periksa."
            )
        )
    if not KEY_RE.fullmatch(parsed.key):
        raise SmsRefused(_("Kunci laporan tidak terbaca: kirim ulang teks dari aplikasi."))
    return parsed


def _digits(phone: str) -> str:
    """A phone number as digits with the country code: 0812..., +62812... and 62812... alike."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits


def sender_officer(phone: str) -> Officer:
    """The officer whose roster phone number sent the text (with a login), or PermissionDenied."""
    digits = _digits(phone)
    if len(digits) < 9:
        raise PermissionDenied(_("Nomor pengirim tidak terbaca."))
    # The roster writes numbers as people do ("+62 812-5550-0001"): compare digits, over the
    # officers with a login (a few hundred rows; a text is rare).
    candidates = Officer.objects.filter(user__isnull=False).exclude(phone="")
    matches = [o for o in candidates.select_related("user") if _digits(o.phone) == digits]
    if len(matches) != 1 or not matches[0].user.is_active:
        raise PermissionDenied(_("Nomor ini tidak terdaftar untuk melapor lewat SMS."))
    return matches[0]


def sms_file(*, sender: str, text: str) -> tuple[object, bool, str]:
    """File the coded text from `sender`: (report, created, reply). SmsRefused or
    PermissionDenied (unknown number, a TPS not his) leave nothing written."""
    officer = sender_officer(sender)
    parsed = sms_parse(text)
    user = officer.user
    allowed = CAN_FILE_FIELD_REPORTS if parsed.kind == "incident" else CAN_FILE_TPS_RETURNS
    if not user_has_role(user, allowed):
        raise PermissionDenied(_("Akun pemilik nomor ini tidak boleh mengirim laporan ini."))
    now = timezone.now()
    if parsed.kind == "incident":
        data = parsed.data
        label = dict(IncidentType.choices)[data["type"]]
        data.update(
            {
                "occurred_at": now,
                "description": _("Laporan lewat SMS: %(t)s, massa %(m)s, korban %(k)d.")
                % {"t": label, "m": data["crowd_size"] or 0, "k": data["casualties"]},
            }
        )
        try:
            incident, created = services.incident_create(
                by=user, data=data, idempotency_key=parsed.key, fingerprint=services.SMS_COPY
            )
        except ValidationError as exc:
            raise SmsRefused(" ".join(exc.messages)) from None
        reply = _("Laporan #%(n)d diterima.") % {"n": incident.pk}
        return (
            incident,
            created,
            reply if created else _("Laporan #%(n)d sudah diterima.") % {"n": incident.pk},
        )
    data = parsed.data
    note = _("lewat SMS; kejadian: %(k)s") % {
        "k": _("ada") if data["incidents"] else _("tidak ada")
    }
    try:
        record, created = tps_returns.tps_return_file(
            by=user, tps_id=data["tps"].pk, status=data["status"], note=note, key=parsed.key
        )
    except ValidationError as exc:
        raise SmsRefused(" ".join(exc.messages)) from None
    return record, created, _("Laporan TPS %(t)s diterima.") % {"t": data["tps"].number}

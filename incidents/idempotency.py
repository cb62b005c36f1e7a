"""The client's Idempotency-Key, checked in one place for every endpoint that reads one (the
incidents and TPS-returns APIs, the report form, the SMS webhook).

A key is the reporter's own: it is unique per reporter (Incident and TpsReturn constraints), so
two phones that happen to make the same key file two reports. A key that could not be stored
(too long, not text, control characters such as NUL, which PostgreSQL refuses) is a clear 400
on the field `idempotency_key`, never a database error.
"""

from django.utils.translation import gettext as _

from incidents.models import IDEMPOTENCY_KEY_MAX


class IdempotencyKeyRefused(Exception):
    """The key is missing or cannot be a key; `body()` is the 400's JSON."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict:
        return {"detail": self.message, "code": self.code, "idempotency_key": [self.message]}


def idempotency_key_check(raw, *, required: bool = True) -> str | None:
    """The key as it is stored (surrounding spaces trimmed), None when absent and not required;
    raises IdempotencyKeyRefused otherwise."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if not required:
            return None
        raise IdempotencyKeyRefused(
            "idempotency_key_required",
            _("Header Idempotency-Key wajib (1-%(n)d karakter), dibuat oleh klien.")
            % {"n": IDEMPOTENCY_KEY_MAX},
        )
    if not isinstance(raw, str):
        raise IdempotencyKeyRefused(
            "idempotency_key_invalid", _("Idempotency-Key harus berupa teks.")
        )
    key = raw.strip()
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise IdempotencyKeyRefused(
            "idempotency_key_too_long",
            _("Idempotency-Key paling banyak %(n)d karakter (yang dikirim %(got)d).")
            % {"n": IDEMPOTENCY_KEY_MAX, "got": len(key)},
        )
    if not key.isprintable():
        raise IdempotencyKeyRefused(
            "idempotency_key_invalid",
            _("Idempotency-Key tidak boleh berisi karakter kendali."),
        )
    return key

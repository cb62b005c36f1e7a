"""Idempotency-Keys for the field officer's writes that make no row of their own to carry one
(a dispatch step, a status, a check-in): the key, per user, and the answer it got.

A phone on a poor link sends each tap with a key it made and sends it again until an answer
arrives. `idempotent_answer` runs the write once per (user, key): a retry with the same body
gets the first answer back (status and body, no second write); the same key with another body
(or for another endpoint or object) is a 422. The key's row is inserted first, in the write's
own transaction: a concurrent retry waits on the unique index until the first commits, then
reads its answer; a write that fails (a 4xx) rolls the key back with it, so a corrected retry
may use the key again.
"""

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException

from core.models import IdempotentRequest

KEY_MAX = 80
HEADER = "Idempotency-Key"


class IdempotencyKeyRefused(APIException):
    """The key is missing or cannot be a key (400, on the field `idempotency_key`)."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, code: str, message: str):
        super().__init__(detail={"detail": message, "code": code, "idempotency_key": [message]})


class IdempotencyConflict(APIException):
    """The key was used before with another body, or for another endpoint (422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_conflict"

    def __init__(self):
        super().__init__(
            detail=_(
                "Idempotency-Key ini sudah dipakai untuk permintaan lain; buat kunci baru "
                "untuk setiap tindakan."
            )
        )


def idempotency_key_from(request) -> str:
    """The request's Idempotency-Key header, trimmed; IdempotencyKeyRefused when absent, longer
    than KEY_MAX or holding control characters (which PostgreSQL may refuse)."""
    raw = (request.headers.get(HEADER) or "").strip()
    if not raw:
        raise IdempotencyKeyRefused(
            "idempotency_key_required",
            _("Header Idempotency-Key wajib (1-%(n)d karakter), dibuat oleh klien.")
            % {"n": KEY_MAX},
        )
    if len(raw) > KEY_MAX:
        raise IdempotencyKeyRefused(
            "idempotency_key_too_long",
            _("Idempotency-Key paling banyak %(n)d karakter (yang dikirim %(got)d).")
            % {"n": KEY_MAX, "got": len(raw)},
        )
    if not raw.isprintable():
        raise IdempotencyKeyRefused(
            "idempotency_key_invalid",
            _("Idempotency-Key tidak boleh berisi karakter kendali."),
        )
    return raw


def request_fingerprint(scope: str, data: dict) -> str:
    """A stable hash of what a request asks (its scope and validated body)."""
    canonical = json.dumps([scope, data], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_answer(
    *, user, key: str, scope: str, data: dict, run: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """(status, body, replayed): `run()`'s answer, made once per (user, key).

    `run` does the write (its services open their own, nested, transactions) and answers
    (status, JSON body); it runs inside this function's transaction, so its after-commit pushes
    leave only when the key's row is committed with the write.
    """
    fingerprint = request_fingerprint(scope, data)
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    user=user, key=key, scope=scope[:64], request_hash=fingerprint
                )
        except IntegrityError:
            # Taken: by a finished request (its answer is stored) or by one that just committed
            # (the insert waited for it). Read it as committed.
            record = IdempotentRequest.objects.get(user=user, key=key)
            if record.request_hash != fingerprint or record.status_code is None:
                raise IdempotencyConflict from None
            return record.status_code, record.response, True
        code, body = run()
        record.status_code, record.response = code, body
        record.save(update_fields=["status_code", "response"])
    return code, body, False

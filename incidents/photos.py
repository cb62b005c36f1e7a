"""Evidence photos of an incident: checked before a pixel is decoded, stored re-encoded without
their metadata (the original kept apart for the authorised view), timeline and audit."""

import hashlib
import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse
from django.utils.translation import gettext as _

from core.services import audit_record
from incidents.models import (
    Incident,
    IncidentPhoto,
)
from incidents.services import incident_event

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def photo_response(photo, field) -> FileResponse:
    """A kept photo's file as the answer: never cached, never sniffed, shown inline."""
    response = FileResponse(field.open("rb"), content_type=photo.content_type)
    response["Content-Disposition"] = f'inline; filename="foto-{photo.pk}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def photo_check(*, upload) -> bytes:
    """Refuse a photo too large in bytes or pixels, or not a JPEG/PNG/WebP by its content,
    before a single pixel is decoded; its bytes when it may be decoded.

    Only the header is read here (Image.open without load): a PNG of a few KB can declare
    169 megapixels and cost seconds and gigabytes to decode, so the declared size is the check.
    The upload's name and content type are the sender's claims and are ignored."""
    # Pillow is loaded only by the photo path, not by every process that serves the pages.
    from PIL import Image, UnidentifiedImageError

    if upload.size > PHOTO_MAX_BYTES:
        raise ValidationError(
            {"photo": _("Foto lebih dari %(n)d MB.") % {"n": PHOTO_MAX_BYTES // (1024 * 1024)}}
        )
    raw = upload.read()
    upload.seek(0)
    try:
        with Image.open(io.BytesIO(raw), formats=list(PHOTO_FORMATS)) as probe:
            width, height = probe.size
    except Image.DecompressionBombError:
        width = height = settings.PHOTO_MAX_PIXELS + 1  # Pillow's own ceiling: far too large
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValidationError(
            {"photo": _("Berkas bukan gambar JPEG, PNG atau WebP yang sah.")}
        ) from None
    if width * height > settings.PHOTO_MAX_PIXELS:
        raise ValidationError(
            {
                "photo": _("Foto lebih dari %(n)d megapiksel.")
                % {"n": settings.PHOTO_MAX_PIXELS // 1_000_000}
            }
        )
    return raw


@dataclass(frozen=True)
class PreparedPhoto:
    """A checked photo: the original's bytes and hash, and a copy rebuilt from its pixels."""

    raw: bytes
    sha256: str
    content_type: str
    ext: str
    clean: bytes


def photo_prepare(*, upload) -> PreparedPhoto:
    """Check a photo (photo_check) before it is decoded, hash it, and rebuild it from its
    pixels alone: EXIF (GPS included) and all other metadata go. Shared by every kind of
    evidence photo (incidents, logistics handovers)."""
    # Pillow is loaded only by the photo path (as in photo_check).
    from PIL import Image, ImageOps, UnidentifiedImageError

    raw = photo_check(upload=upload)
    try:
        with Image.open(io.BytesIO(raw), formats=list(PHOTO_FORMATS)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(raw), formats=list(PHOTO_FORMATS))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError({"photo": _("Berkas bukan gambar yang sah.")}) from None
    if image.format not in PHOTO_FORMATS:
        raise ValidationError({"photo": _("Hanya JPEG, PNG atau WebP.")})
    save_format = image.format
    # Turn the picture upright first (the orientation lives in the EXIF we are about to drop),
    # then rebuild it from its pixels alone.
    upright = ImageOps.exif_transpose(image)
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    if upright.mode == "P":
        clean.putpalette(upright.getpalette())
    out = io.BytesIO()
    if save_format == "JPEG" and clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    clean.save(out, format=save_format)
    return PreparedPhoto(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        content_type=PHOTO_FORMATS[save_format],
        ext={"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[save_format],
        clean=out.getvalue(),
    )


def photo_add(*, incident: Incident, by, upload) -> IncidentPhoto:
    """Keep a photo as evidence (photo_prepare): the original for Gakkumdu, the copy without
    metadata for everyone else. The same bytes again for the same incident (a retry) give back
    the photo already kept."""
    prepared = photo_prepare(upload=upload)
    digest, raw, ext = prepared.sha256, prepared.raw, prepared.ext
    # A phone that resends a photo whose answer it lost sends the same bytes: the same evidence.
    existing = incident.photos.filter(sha256=digest).first()
    if existing is not None:
        return existing
    photo = IncidentPhoto(
        incident=incident,
        sha256=digest,
        content_type=prepared.content_type,
        size=len(raw),
        uploaded_by=by,
    )
    # Random names: nothing about the file (its hash, its time) lets anyone guess a path; the
    # files are served only by the incident-photo views, never from MEDIA_URL.
    name = uuid.uuid4().hex
    photo.original.save(f"{name}.{ext}", ContentFile(raw), save=False)
    photo.display.save(f"{name}-clean.{ext}", ContentFile(prepared.clean), save=False)
    with transaction.atomic():
        photo.save()
        incident_event(incident, by, "photo", to=digest[:16])
        audit_record(
            actor=by,
            action="incident.photo",
            obj=incident,
            changes={"photo": [None, photo.pk], "sha256": [None, digest], "size": [None, len(raw)]},
        )
    return photo

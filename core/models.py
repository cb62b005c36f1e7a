"""Cross-cutting records: the audit trail, the workers' heartbeat, sessions and the answers
kept for Idempotency-Keys."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """An attempt to change or delete a row that may only ever be appended."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """Rows that are written once and never changed or deleted through the app.

    On PostgreSQL a trigger (see core/migrations) refuses UPDATE and DELETE as well, so neither a
    bug nor a raw query can rewrite history.
    """

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class AuditEvent(AppendOnlyModel):
    """Who did what to which object, when, with the values before and after."""

    at = models.DateTimeField(_("waktu"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pelaku"),
    )
    # Kept as text too: the record must still read right if the account is renamed.
    actor_username = models.CharField(_("nama pengguna"), max_length=150, blank=True)
    action = models.CharField(_("tindakan"), max_length=64, db_index=True)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("objek"), max_length=255, blank=True)
    changes = models.JSONField(_("perubahan"), default=dict, blank=True)
    note = models.TextField(_("catatan"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("catatan audit")
        verbose_name_plural = _("catatan audit")
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action}"


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the heartbeat task (one row per worker host)."""

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return self.hostname


class UserSession(models.Model):
    """A browser session someone signed in with: who, since when, from where. Kept beside
    Django's own session row (same key) so that users and the administrator can see who is
    signed in and end a session; the row goes at logout, when the session is ended, and is
    ignored once Django's session has expired."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sispam_sessions"
    )
    created = models.DateTimeField(_("masuk sejak"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("alamat"), null=True, blank=True)
    user_agent = models.CharField(_("peramban"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("sesi masuk")
        verbose_name_plural = _("sesi masuk")

    def __str__(self) -> str:
        return f"{self.user} · {self.created:%Y-%m-%d %H:%M}"


class IdempotentRequest(models.Model):
    """A write a client sent with an Idempotency-Key, and the answer it got: a retry with the
    same key (per user) and the same body gets that answer again instead of a second write
    (core/idempotency.py). Written in the same transaction as the write it guards."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=80)
    # Which endpoint and object the key was used for ("dispatch.progress:12", ...).
    scope = models.CharField(max_length=64)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("permintaan ber-Idempotency-Key")
        verbose_name_plural = _("permintaan ber-Idempotency-Key")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotent_request_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"

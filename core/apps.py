from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles(sender, **kwargs) -> None:
    from core.services import roles_ensure

    roles_ensure()


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("Inti")

    def ready(self) -> None:
        # Permissions exist only after post_migrate (sent once per app): run after each, so
        # the admin role gets the permissions of apps migrated later too. Idempotent.
        post_migrate.connect(_ensure_roles, dispatch_uid="core.roles_ensure")

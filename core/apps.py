from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
    verbose_name = _("Inti")

    def ready(self) -> None:
        # In ready(): core.signals imports models, which the app registry loads only now.
        from core.signals import signals_connect

        signals_connect()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "operations"
    verbose_name = _("Operasi")

    def ready(self) -> None:
        from operations import receivers  # noqa: F401  (connects them: Django's way, at start)

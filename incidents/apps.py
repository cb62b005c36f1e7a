import threading

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "incidents"
    verbose_name = _("Kejadian")

    def ready(self) -> None:
        # Build the shipped early-warning engine (its model, the stemmer's dictionary) in the
        # background as the process starts, so the first report scored does not wait ~0.4 s
        # for it. It reads files only, no database.
        from incidents.ew.engine import default_engine  # in ready(): apps are loaded now

        threading.Thread(target=default_engine, name="ew-warm-up", daemon=True).start()

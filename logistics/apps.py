from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    """Election logistics under escort: the distribution plan (legs from the KPU warehouse to
    every TPS and back), their manifests and escorts, the custody trail recorded from the
    escort commander's phone, and the alerts of a late, stopped, unescorted or short leg.
    It sits above incidents (it raises alerts through incidents.alerts) and below command (the
    dashboard and the situation report read it); docs/logistics.md."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "logistics"
    verbose_name = _("Logistik pemilu")

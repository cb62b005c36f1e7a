from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    """The command post's picture and its drills, above the domain apps: the dashboard, the
    situation report, the Sispamkota exercise runner and its after-action review, the role
    landing pages and the summary. It owns no tables: it reads personnel, operations and
    incidents and writes through their services."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "command"
    verbose_name = _("Pos komando")

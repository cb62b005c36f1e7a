"""English formats as Sispam writes them: 24-hour times with a colon, as in Indonesian."""

from django.conf.locale.en.formats import *  # noqa: F403 (Django's English formats, then ours)

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "N j, Y, H:i"
SHORT_DATETIME_FORMAT = "m/d/Y H:i"

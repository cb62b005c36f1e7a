"""Indonesian formats as Sispam writes them: Django's own for Indonesian, but times with a colon
in 24 hours (14:05, as the templates' "H:i" and the pages' scripts write them), so a page never
shows "14.05" beside "14:05"."""

from django.conf.locale.id.formats import *  # noqa: F403 (Django's Indonesian formats, then ours)

TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j N Y, H:i"
SHORT_DATETIME_FORMAT = "d-m-Y H:i"

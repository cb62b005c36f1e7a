"""Template filters that put values in the words a duty officer reads (Indonesian by default)."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """A span of seconds as a person says it: "45 detik", "22 menit", "1 jam 05 menit"; the
    minutes rounded to the nearest one past a minute. Empty for no value."""
    if seconds is None or seconds == "":
        return ""
    try:
        total = round(float(seconds))
    except (TypeError, ValueError):
        return ""
    if total < 60:
        return ngettext("%(n)d detik", "%(n)d detik", total) % {"n": total}
    minutes = round(total / 60)
    if minutes < 60:
        return ngettext("%(n)d menit", "%(n)d menit", minutes) % {"n": minutes}
    hours, rest = divmod(minutes, 60)
    return _("%(h)d jam %(m)02d menit") % {"h": hours, "m": rest}

"""Discover every URL of the app from the URL conf, as route templates like /api/v1/audit/{pk}/."""

import re

from django.urls import URLPattern, URLResolver, get_resolver

# The Django admin checks staff status itself; the matrix covers its index, not its 200 pages.
SKIPPED_NAMESPACES = {"admin"}
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def _clean(route: str) -> str:
    route = route.lstrip("^").rstrip("$")
    route = _GROUP.sub(r"{\1}", route)
    route = _CONVERTER.sub(r"{\1}", route)
    return route.replace("\\", "")


def discover(patterns=None, prefix: str = "") -> list[tuple[str, str]]:
    """[(route template, url name)] for every endpoint, admin index included."""
    out = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + _clean(str(p.pattern))
        if isinstance(p, URLResolver):
            if p.namespace in SKIPPED_NAMESPACES:
                out.append(("/" + route, f"{p.namespace}:index"))
                continue
            out.extend(discover(p.url_patterns, route))
        elif isinstance(p, URLPattern):
            out.append(("/" + route, p.name or ""))
    return out

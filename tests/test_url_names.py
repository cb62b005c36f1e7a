"""Every URL name belongs to one view: a page named like an API route (the router names its
routes "<basename>-list" and "<basename>-detail") makes {% url %} link to the API instead. It
did: the roster linked its officers to /api/v1/officers/<id>/ while the officer page was named
"officer-detail"; naming it so again makes this test fail with that name."""

from collections import defaultdict

from django.urls import URLPattern, URLResolver, get_resolver


def _patterns(patterns, space=""):
    """(name as {% url %} spells it, with its namespace; pattern) of every named route."""
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, f"{space}{p.namespace}:" if p.namespace else space)
        elif isinstance(p, URLPattern) and p.name:
            yield space + p.name, p


def _view(callback) -> str:
    inner = getattr(callback, "cls", None) or getattr(callback, "view_class", None) or callback
    return f"{inner.__module__}.{getattr(inner, '__qualname__', inner.__name__)}"


def test_no_url_name_is_given_to_two_views():
    views = defaultdict(set)
    for name, p in _patterns(get_resolver().url_patterns):
        # DRF repeats each route with a format suffix: the same view under the same name.
        views[name].add(_view(p.callback))
    assert len(views) > 100
    clashes = {name: sorted(v) for name, v in views.items() if len(v) > 1}
    assert not clashes, clashes

"""The one client address every limit keys on: login lockout, API throttles, the tip limits.

X-Forwarded-For is a list anyone can start: a client sends "X-Forwarded-For: 1.2.3.4" and each
proxy on the way appends the address it received the request from. Only the entries appended
by proxies we run can be believed, so with TRUSTED_PROXY_COUNT = n the client is the n-th entry
from the right; with 0 (the default, no proxy) the header is ignored and the socket address is
the client. A header shorter than n means the request did not come through our proxies (or a
proxy was removed without changing the setting): the socket address is used then, never a
guess from the left-hand side.
"""

import hashlib
import ipaddress

from django.conf import settings


def _valid(value: str) -> str | None:
    value = value.strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's address as our own proxies saw it ("" when the socket gave none)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count > 0:
        entries = [e for e in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if e.strip()]
        if len(entries) >= count:
            candidate = _valid(entries[-count])
            if candidate is not None:
                return candidate
    return _valid(remote) or remote


def client_hash(request) -> str:
    """A keyed hash of the client address: groups one sender's tips without storing his IP."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{client_ip(request)}".encode()).hexdigest()

"""How heavy the field officer's pages are on first load, and how long they take to open on a
throttled 3G link, in Chromium. Shared by tests/test_field_weight.py (which holds the limits)
and bench/field_weight.py (which prints the figures).

Weight: every response the page itself asks for on a cold load (no HTTP cache, no service
worker yet), each body counted as gzip (level 6) would send it, which is how the TLS proxy
serves text (deploy/Caddyfile `encode`) and how WhiteNoise serves static files in production.
The map (Leaflet) is left out, as the issue asks: it loads only when the officer taps "Tandai di
peta". Time: from navigation start to the page's load event under "Regular 3G" as Chrome's
DevTools defined it (750 kbit/s down, 250 kbit/s up, 100 ms latency).
"""

from __future__ import annotations

import gzip
import time

REGULAR_3G = {
    "offline": False,
    "latency": 100,
    "downloadThroughput": 750 * 1024 / 8,
    "uploadThroughput": 250 * 1024 / 8,
}
MAP_PARTS = ("/leaflet/",)


def measure(browser, base: str, path: str, sessionid: str, context_options: dict) -> dict:
    """{'path', 'bytes_gzip', 'bytes_raw', 'requests', 'seconds'} of one cold load."""
    context = browser.new_context(**context_options, service_workers="block")
    host = base.split("//", 1)[1].split(":", 1)[0]
    context.add_cookies([{"name": "sessionid", "value": sessionid, "domain": host, "path": "/"}])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    seen: list = []
    page.on("response", lambda response: seen.append(response))
    cdp.send("Network.emulateNetworkConditions", REGULAR_3G)
    started = time.monotonic()
    page.goto(base + path, wait_until="load")
    seconds = time.monotonic() - started
    cdp.send(
        "Network.emulateNetworkConditions",
        {**REGULAR_3G, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    raw = packed = count = 0
    for response in seen:
        if any(part in response.url for part in MAP_PARTS):
            continue
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 (a redirect has no body)
            body = b""
        count += 1
        raw += len(body)
        packed += len(gzip.compress(body, 6)) if body else 0
    context.close()
    return {
        "path": path,
        "bytes_gzip": packed,
        "bytes_raw": raw,
        "requests": count,
        "seconds": round(seconds, 2),
    }

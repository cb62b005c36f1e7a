"""The field officer's installable web app: its manifest and its service worker.

The worker is served at /sw.js (its scope is the whole site, so that it controls /lapor/ and
/lapangan/) and rendered here, so that the shell it caches names the static files by their real
(hashed, in production) addresses, and a new build of any of them changes the worker, which
makes phones install the new shell. Both are public: the worker holds no data, and it caches a
page only with the officer's own session (and empties its caches at logout).
"""

from __future__ import annotations

import hashlib
import json

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# The pages the app opens offline (URL names of the incidents and command apps, resolved at
# request time; core imports neither), what they read, and the static files they load.
SHELL_PAGES = ["landing-lapangan", "report-form", "tps-return-form", "escort-legs"]
SHELL_DATA = ["/api/v1/me/duty/"]
SHELL_STATIC = [
    "css/sispam.css",
    "favicon.svg",
    "icons/sispam-192.png",
    "icons/sispam-512.png",
    "js/sispam-common.js",
    "js/outbox.js",
    "js/field.js",
    "js/report-form.js",
    "js/duty.js",
    "js/tps-return-form.js",
    "vendor/idb/idb-8.0.4.umd.js",
]
WORKBOX = "vendor/workbox-7.4.1/"
WORKBOX_MODULES = ["workbox-core.prod.js", "workbox-routing.prod.js", "workbox-strategies.prod.js"]


def _shell() -> dict:
    pages = [reverse(name) for name in SHELL_PAGES]
    statics = [static(path) for path in SHELL_STATIC]
    modules = [static(WORKBOX + name) for name in WORKBOX_MODULES]
    version = hashlib.sha256(json.dumps([pages, statics, modules]).encode()).hexdigest()[:12]
    return {
        "version": version,
        "pages_json": json.dumps(pages),
        "static_json": json.dumps(statics + modules),
        "data_json": json.dumps(SHELL_DATA),
        "workbox_urls": modules,
    }


@never_cache
@require_GET
def service_worker(request):
    body = render_to_string("pwa/sw.js", _shell())
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def web_manifest(request):
    return JsonResponse(
        {
            "name": _("Sispam Lapangan · Polres Metro"),
            "short_name": "Sispam",
            "description": _("Lapor kejadian dan tugas pengamanan pemilu, juga tanpa sinyal."),
            "lang": request.LANGUAGE_CODE,
            "start_url": reverse("landing-lapangan"),
            "scope": "/",
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b3a6e",
            "icons": [
                {"src": static("icons/sispam-192.png"), "sizes": "192x192", "type": "image/png"},
                {
                    "src": static("icons/sispam-512.png"),
                    "sizes": "512x512",
                    "type": "image/png",
                    "purpose": "any maskable",
                },
            ],
        },
        content_type="application/manifest+json",
    )

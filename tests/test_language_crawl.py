"""Every page, as every role that may open it, in Indonesian: no English code or raw enum value
in what a person reads (issue #18). The codes are every choice value of the models whose label
says something else (arrived -> tiba, en_route -> berangkat, sangat_rawan -> sangat rawan...),
and the step and action codes the pages had shown raw. Only the text a person reads is checked
(not attributes, scripts or styles); usernames are names, not codes.

Shown failing: taking the translation layer off the incident timeline (printing `e.kind`
instead of `e.label`) made this test list "created" and "verify" on /kejadian/<id>/.
"""

import re
from html.parser import HTMLParser

from django.apps import apps
from django.utils import translation

from tests.test_roles_matrix import COLUMNS, MATRIX, samples  # noqa: F401 (the fixture)

# Codes the pages showed raw before, that are not model choices.
EXTRA_CODES = {
    "en_route",
    "on_scene",
    "cleared",
    "created",
    "photo",
    "verify",
    "dispatch",
    "handle",
    "dalmas_lanjut",
    "tps.return",
}
# Words that are Indonesian, or names, even where a choice uses them as a value.
NOT_CODES = {"baru", "intel", "admin", "komando", "lapangan", "penghubung_kpu"}
SKIPPED = re.compile(r"^/(api|static|media|ws)/|\.(csv|json|pdf|png|js|webmanifest)$|/sw\.js$")


def choice_codes() -> set[str]:
    codes = set()
    with translation.override("id"):
        for model in apps.get_models():
            if model._meta.app_label not in ("core", "personnel", "operations", "incidents"):
                continue
            for field in model._meta.get_fields():
                for value, label in getattr(field, "choices", None) or []:
                    if isinstance(value, str) and value.lower() not in str(label).lower():
                        codes.add(value)
    return (codes | EXTRA_CODES) - NOT_CODES


class _Visible(HTMLParser):
    """The text of a page a person reads: no attributes, no script, style or template; and no
    machine text shown as such (a scenario file in its editor, code in <pre> or <code>)."""

    HIDDEN = {"script", "style", "template", "noscript", "textarea", "pre", "code"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def codes_in(text: str, codes: set[str]) -> set[str]:
    tokens = set(re.findall(r"[A-Za-z][A-Za-z_.]*[A-Za-z]", text))
    return tokens & codes


def test_every_page_reads_in_indonesian_for_every_role(samples, client_for):  # noqa: F811
    codes = choice_codes()
    assert {"arrived", "sangat_rawan", "en_route", "acknowledged"} <= codes
    clients = {c: client_for(c) for c in COLUMNS if c != "anonymous"}
    found, pages = [], 0
    for route, row in sorted(MATRIX.items()):
        if SKIPPED.search(route):
            continue
        path = re.sub(r"\{\w+\}", str(samples.get(route, "")), route)
        for role, client in clients.items():
            if row[role] != "200":
                continue
            response = client.get(path, HTTP_ACCEPT_LANGUAGE="id")
            if "text/html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            raw = codes_in(visible_text(response.content.decode()), codes)
            if raw:
                found.append(f"{path} as {role}: {', '.join(sorted(raw))}")
    assert pages > 60
    assert found == [], "\n".join(found)


def test_the_crawl_sees_a_raw_code():
    # The check itself: a code in the text is found, the same code in an attribute is not.
    html = '<p data-s="arrived">tiba</p><script>var s = "en_route";</script><td>sangat_rawan</td>'
    assert codes_in(visible_text(html), {"arrived", "en_route", "sangat_rawan"}) == {"sangat_rawan"}


def test_the_demo_polling_day_reads_in_indonesian(db, personas, client_for, settings):
    """The pages a duty officer opens most, on the demo's live polling day (reports verified,
    dispatched, on scene, closed; TPS returns; the plan applied)."""
    from django.core.management import call_command

    from incidents.models import Dispatch
    from operations.models import Tps
    from personnel.models import Officer

    settings.DASHBOARD_CACHE_SECONDS = 0
    call_command("seed_demo", "--allow-production", verbosity=0)
    call_command("seed_situation", verbosity=0)
    dispatch = Dispatch.objects.exclude(on_scene_at=None).select_related("officer").first()
    paths = [
        "/operasi/dasbor/",
        "/operasi/dasbor/panel/",
        "/operasi/dasbor/masuk/",
        "/kejadian/",
        f"/kejadian/{dispatch.incident_id}/",
        f"/operasi/tps/{Tps.objects.order_by('pk').first().pk}/",
        "/operasi/tps/",
        "/personel/",
        "/personel/kekuatan/",
        "/personel/bko/",
        f"/personel/{dispatch.officer_id}/",
        f"/personel/{Officer.objects.exclude(contingent=None).first().pk}/",
        "/operasi/perencanaan/",
        "/intel/informasi/",
        "/intel/laporan/",
    ]
    codes = choice_codes()
    client = client_for("komando")
    found = []
    for path in paths:
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="id")
        assert response.status_code == 200, path
        raw = codes_in(visible_text(response.content.decode()), codes)
        if raw:
            found.append(f"{path}: {', '.join(sorted(raw))}")
    assert found == [], "\n".join(found)


def test_no_message_is_left_untranslated_or_fuzzy_in_english(tmp_path):
    import subprocess

    from tests.stack import ROOT

    po = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
    fresh = tmp_path / "django.mo"
    answer = subprocess.run(  # noqa: S603 (a fixed command on our own file)
        ["msgfmt", "--statistics", "-c", "-o", str(fresh), str(po)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    assert "untranslated" not in answer.stderr and "fuzzy" not in answer.stderr, answer.stderr
    # The compiled catalogue the app reads is the one of this .po (make messages).
    assert fresh.read_bytes() == (po.parent / "django.mo").read_bytes()

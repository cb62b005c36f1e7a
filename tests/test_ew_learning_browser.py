"""In Chromium, komando corrects a score, trains a version (a real Celery worker trains it),
reads its backtest and activates it; a field officer cannot open the console."""

import pytest

from incidents.models import EwConfig, EwCorrection, EwTrainingRun, Tip
from incidents.scoring import report_score
from tests.conftest import PASSWORD
from tests.stack import (
    ARTIFACTS,
    ROOT,
    flush_test_redis,
    stack_env,
    start_asgi_server,
    start_celery_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.stack]
CORPUS = ROOT / "tests" / "data" / "ew_corpus"


def login(browser, url, username):
    context = browser.new_context(locale="id-ID", viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_load_state()
    return page, errors


@pytest.fixture
def stack(transactional_db, tmp_path):
    for name in ("rd", "sm", "li"):
        lines = (CORPUS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()[:30]
        (tmp_path / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = stack_env(EW_CORPUS_DIR=str(tmp_path))
    flush_test_redis()
    server = start_asgi_server(env)
    worker = start_celery_worker(env, name="ew-train")
    yield server
    worker.stop()
    server.stop()


def test_komando_corrects_trains_backtests_and_activates_in_the_browser(stack, personas, browser):
    tip = Tip.objects.create(text="situasi tps 2 aman, antrean tertib dan lancar")
    score = report_score(kind="tip", pk=tip.pk)
    page, errors = login(browser, stack.url, "komando")
    page.goto(stack.url + "/intel/peringatan-dini/")
    row = page.locator(f"#skor-{score.pk}")
    row.locator("select[name=level]").select_option("kuning")
    row.locator("input[name=reason]").fill("antrean mulai memanas, perlu dicek")
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#ew-corrections li >> text=antrean mulai memanas")
    assert EwCorrection.objects.get().level == "kuning"

    page.fill("#ew-train-form input[name=version]", "ew-browser-1")
    page.click("#ew-train-form button[type=submit]")
    page.wait_for_load_state()
    for _ in range(120):  # the worker trains it: a few seconds on this corpus
        run = EwTrainingRun.objects.get(version="ew-browser-1")
        if run.status in ("done", "failed"):
            break
        page.wait_for_timeout(500)
    assert run.status == "done", run.error
    page.goto(stack.url + "/intel/peringatan-dini/versi/ew-browser-1/")
    assert page.locator("#ew-activate-form").count() == 0  # no activation before a backtest
    page.click("#ew-backtest-form button[type=submit]")
    page.wait_for_selector("#ew-backtest .changed-count")
    text = page.locator("#ew-backtest").inner_text()
    assert "Koreksi komando/intel: 1" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ew-version-backtest.png"), full_page=True)
    page.click("#ew-activate-form button[type=submit]")
    page.wait_for_url("**/intel/peringatan-dini/")
    assert EwConfig.objects.get(version="ew-browser-1").is_active
    assert "ew-browser-1" in page.locator("main").inner_text()
    page.screenshot(path=str(ARTIFACTS / "ew-console.png"), full_page=True)
    assert errors == []

    field, _ = login(browser, stack.url, "lapangan")
    response = field.goto(stack.url + "/intel/peringatan-dini/")
    assert response.status == 403

"""While PostgreSQL is unreachable, requests get 503 with Retry-After, never 500: JSON under
/api/, a short page elsewhere (core/errors.py). /healthz keeps its own 503 (test_healthz.py)."""

import json
import urllib.error
import urllib.request

import pytest

from tests.stack import stack_env, start_asgi_server


def fetch(url: str, headers: dict[str, str] | None = None) -> urllib.error.HTTPError:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        urllib.request.urlopen(request, timeout=15)  # noqa: S310
    except urllib.error.HTTPError as exc:
        return exc
    raise AssertionError(f"{url} answered 2xx/3xx during an outage")


@pytest.fixture
def server_without_database(db):
    # A real server pointed at a port where no database listens.
    env = stack_env(DATABASE_URL="postgres://root@127.0.0.1:9/nowhere", DB_POOL_TIMEOUT="1")
    server = start_asgi_server(env)
    yield server
    server.stop()


def test_an_api_call_during_a_database_outage_is_a_503_with_retry_after(server_without_database):
    answer = fetch(
        server_without_database.url + "/api/v1/incidents/",
        {"Authorization": "Token 0123456789abcdef0123456789abcdef01234567"},
    )
    assert answer.code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.headers["Content-Type"] == "application/json"
    assert json.loads(answer.read())["code"] == "unavailable"


def test_a_page_during_a_database_outage_is_a_short_503_page(server_without_database):
    answer = fetch(server_without_database.url + "/kejadian/", {"Cookie": "sessionid=" + "a" * 32})
    assert answer.code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "coba lagi" in answer.read().decode()

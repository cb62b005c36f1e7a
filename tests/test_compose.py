"""docker-compose.yml describes the full stack and is valid."""

import json
import os
import shutil
import subprocess

import pytest

from tests.stack import ROOT


@pytest.fixture
def compose_config():
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.fail("docker-compose is missing: apt-get install -y docker-compose (see .ci/run)")
    env = {
        **os.environ,
        "SECRET_KEY": "k" * 60,
        "REDIS_PASSWORD": "r" * 32,
        "SISPAM_SITE": "sispam.polresmetro.example",
    }
    subprocess.run([exe, "config", "-q"], cwd=ROOT, env=env, check=True)  # noqa: S603
    out = subprocess.run(  # noqa: S603
        [exe, "config"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    import yaml

    return yaml.safe_load(out)


def test_the_compose_file_runs_postgres_redis_web_worker_beat_and_the_proxy(compose_config):
    services = compose_config["services"]
    assert {"db", "redis", "web", "worker", "beat", "proxy"} <= set(services)
    assert "uvicorn" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "sispam", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "sispam", "beat"]


def test_the_app_is_configured_only_through_the_environment(compose_config):
    for name in ("web", "worker", "beat"):
        env = compose_config["services"][name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
        assert env["DEBUG"] == "0"
        assert "volumes" not in compose_config["services"][name]  # no config files mounted
    assert json.dumps(compose_config).count("settings.py") == 0


def test_every_service_restarts_and_the_long_running_ones_say_when_they_are_healthy(
    compose_config,
):
    services = compose_config["services"]
    for name, service in services.items():
        expected = "no" if name == "migrate" else "unless-stopped"
        assert service.get("restart") == expected, name
    for name in ("db", "redis", "web", "worker", "beat", "proxy"):
        check = services[name].get("healthcheck")
        assert check and check.get("test"), name
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert services["beat"]["healthcheck"]["test"][-1] == "database,broker,worker"


def test_redis_asks_for_a_password_and_the_app_gives_it(compose_config):
    redis = compose_config["services"]["redis"]
    assert "--requirepass" in redis["command"]
    password = redis["command"][redis["command"].index("--requirepass") + 1]
    assert password == "r" * 32
    for name in ("web", "worker", "beat"):
        url = compose_config["services"][name]["environment"]["REDIS_URL"]
        assert url.startswith(f"redis://:{password}@redis:6379/")


def _published(service: dict) -> list[tuple[str, str]]:
    """(host address, host port) of each published port, in either syntax docker-compose
    prints ("127.0.0.1:5432:5432/tcp" or {host_ip, published, target})."""
    out = []
    for port in service.get("ports", []):
        if isinstance(port, dict):
            out.append((port.get("host_ip", ""), str(port["published"])))
        else:
            parts = str(port).split("/")[0].split(":")
            out.append((parts[0] if len(parts) == 3 else "", parts[-2]))
    return out


def test_only_the_proxy_is_reached_from_the_network_and_web_is_not_published(compose_config):
    services = compose_config["services"]
    assert _published(services["proxy"]) == [("", "80"), ("", "443")]
    assert "ports" not in services["web"]
    for name, service in services.items():
        if name != "proxy":
            # db and redis stay on the host's loopback for `docker compose up -d db redis`.
            assert all(host == "127.0.0.1" for host, _ in _published(service)), name


def test_the_proxy_runs_the_tested_caddyfile_in_front_of_web(compose_config):
    services = compose_config["services"]
    proxy = services["proxy"]
    assert any(
        v.startswith(f"{ROOT / 'deploy' / 'Caddyfile'}:/etc/caddy/Caddyfile")
        for v in proxy["volumes"]
    )
    env = proxy["environment"]
    assert env["SISPAM_SITE"] == "sispam.polresmetro.example"
    assert env["SISPAM_TLS"] == "internal"
    assert env["SISPAM_UPSTREAM"] == "web:8000"
    assert "8000" in services["web"]["command"]
    # One body limit: the proxy's is the app's.
    assert env["SISPAM_MAX_BODY"] == services["web"]["environment"]["REQUEST_MAX_BYTES"]
    assert env["SISPAM_MAX_BODY"] == str(60 * 1024 * 1024)
    assert proxy["depends_on"]["web"]["condition"] == "service_healthy"
    # Debian's Caddy in the image, the version tests/security/test_tls_proxy.py runs.
    dockerfile = (ROOT / "deploy" / proxy["build"]["dockerfile"]).read_text()
    assert "FROM debian:bookworm-slim" in dockerfile
    assert "'caddy=2.6.2-*'" in dockerfile
    caddy = shutil.which("caddy")
    if caddy:
        version = subprocess.run(  # noqa: S603
            [caddy, "version"], capture_output=True, text=True, check=True
        ).stdout
        assert version.startswith("2.6.2"), version


def test_the_app_runs_with_the_settings_of_the_deploy_check_behind_one_proxy(compose_config):
    for name in ("web", "worker", "beat"):
        env = compose_config["services"][name]["environment"]
        assert env["DEBUG"] == "0"
        assert env["BEHIND_TLS_PROXY"] == "1"
        assert env["TRUSTED_PROXY_COUNT"] == "1"
        assert env["SECURE_SSL_REDIRECT"] == "1"


def test_a_missing_site_name_stops_compose_with_a_message_naming_it(tmp_path):
    exe = shutil.which("docker-compose")
    if exe is None:
        pytest.fail("docker-compose is missing: apt-get install -y docker-compose (see .ci/run)")
    env = {k: v for k, v in os.environ.items() if k != "SISPAM_SITE"}
    env.update({"SECRET_KEY": "k" * 60, "REDIS_PASSWORD": "r" * 32})
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = subprocess.run(  # noqa: S603
        # An empty env file: a developer's own .env may well name the site.
        [exe, "--env-file", str(empty), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "set SISPAM_SITE in .env" in result.stderr

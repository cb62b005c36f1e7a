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
    env = {**os.environ, "SECRET_KEY": "k" * 60, "REDIS_PASSWORD": "r" * 32}
    subprocess.run([exe, "config", "-q"], cwd=ROOT, env=env, check=True)  # noqa: S603
    out = subprocess.run(  # noqa: S603
        [exe, "config"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    import yaml

    return yaml.safe_load(out)


def test_the_compose_file_runs_postgres_redis_web_worker_and_beat(compose_config):
    services = compose_config["services"]
    assert {"db", "redis", "web", "worker", "beat"} <= set(services)
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
    for name in ("db", "redis", "web", "worker", "beat"):
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

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
    env = {**os.environ, "SECRET_KEY": "k" * 60}
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

"""Settings come from the environment and fail loudly on a value that cannot be meant."""

import subprocess
import sys

import pytest

from tests.stack import ROOT, subprocess_env

CHECK = [sys.executable, "manage.py", "check"]


def run_with(env_changes: dict[str, str | None], cmd=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in subprocess_env().items() if k not in env_changes}
    env.update({k: v for k, v in env_changes.items() if v is not None})
    return subprocess.run(  # noqa: S603
        cmd or CHECK, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a boolean"),
        ("DATABASE_URL", "mysql://x@y/z", "only postgres://"),
        ("DATABASE_URL", "postgres://root@127.0.0.1:5432/", "names no database"),
        ("REDIS_URL", "localhost:6379", "is not a Redis URL"),
        ("DB_POOL_MAX", "lots", "DB_POOL_MAX='lots' is not an integer"),
        ("INCIDENT_VERIFY_MINUTES", "0", "below the minimum"),
        ("LOG_LEVEL", "LOUD", "is not a logging level"),
    ],
)
def test_a_bad_value_stops_start_up_with_a_message_naming_it(name, value, message):
    result = run_with({name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    result = run_with({"DEBUG": "0", "SECRET_KEY": None, "ALLOWED_HOSTS": "x.example"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_embedded_default_starts_on_sqlite_with_eager_tasks_and_memory_channels(tmp_path):
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, "
        "s.CHANNEL_LAYERS['default']['BACKEND'], s.EMBEDDED, s.DEBUG]))"
    )
    result = run_with(
        {"DATABASE_URL": None, "REDIS_URL": None, "DEBUG": None, "DJANGO_SETTINGS_MODULE": None},
        [
            sys.executable,
            "-c",
            f"import os; os.environ['DJANGO_SETTINGS_MODULE']='sispam.settings'; {code}",
        ],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '["django.db.backends.sqlite3", true, "channels.layers.InMemoryChannelLayer", true, false]'
    )
    check = run_with({"DATABASE_URL": None, "REDIS_URL": None, "DEBUG": None})
    assert check.returncode == 0, check.stderr


def test_the_real_configuration_uses_postgres_with_the_pool_redis_and_channels_redis():
    from django.conf import settings

    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"] >= 1
    assert settings.CELERY_TASK_ALWAYS_EAGER is False
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis")


def test_a_production_configuration_passes_the_deploy_check():
    result = run_with(
        {
            "DEBUG": "0",
            "SECRET_KEY": "k3y-" + "x7Qp2" * 12,
            "ALLOWED_HOSTS": "sispam.polresmetro.example",
        },
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
    )
    assert result.returncode == 0, result.stdout + result.stderr

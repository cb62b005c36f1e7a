"""seed_demo is a demo builder: it refuses a production database and never resets a password."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import PASSWORD


def test_seed_demo_refuses_to_run_with_debug_off_unless_told_so(db, settings):
    """Attack: an operator (or a script) runs `manage.py seed_demo` against the production
    database. Before the fix it ran: 825 demo officers, 462 demo TPS and five logins with the
    published demo password appeared next to the real data."""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-production"):
        call_command("seed_demo", verbosity=0)
    assert not get_user_model().objects.filter(username="komando").exists()

    call_command("seed_demo", "--allow-production", verbosity=0)
    assert get_user_model().objects.get(username="komando").check_password("sispam-demo-2024")


def test_seed_demo_runs_without_the_flag_when_debug_is_on(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    assert get_user_model().objects.filter(username="komando").exists()


def test_seed_demo_never_changes_an_existing_users_password(personas, settings):
    """Attack: the demo logins are called komando, admin, ...; on a database where those
    accounts are real, running seed_demo set their passwords back to the published demo
    password, and anyone who read the README could log in as the commander."""
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    User = get_user_model()
    for role in ("komando", "intel", "lapangan", "penghubung_kpu", "admin"):
        user = User.objects.get(username=role)
        assert user.check_password(PASSWORD), role
        assert not user.check_password("sispam-demo-2024"), role

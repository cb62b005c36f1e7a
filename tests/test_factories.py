"""Every model of the apps has a factory in tests/factories.py, and each builds a saved row that
passes the model's own validation (issue #14: tests that build objects as the users would)."""

import factory
import pytest
from django.apps import apps

from tests import factories

APPS = ("core", "personnel", "operations", "incidents", "logistics")


def models():
    return sorted(
        (m for m in apps.get_models() if m._meta.app_label in APPS and not m._meta.proxy),
        key=lambda m: m._meta.label,
    )


def factory_for(model):
    for value in vars(factories).values():
        is_factory = isinstance(value, type) and issubclass(
            value, factory.django.DjangoModelFactory
        )
        if is_factory and value._meta.model is model:
            return value
    return None


def test_every_model_has_a_factory():
    missing = [m._meta.label for m in models() if factory_for(m) is None]
    assert missing == []


@pytest.mark.parametrize("model", models(), ids=lambda m: m._meta.label)
def test_each_factory_builds_a_valid_row(db, settings, tmp_path, model):
    settings.MEDIA_ROOT = tmp_path
    obj = factory_for(model)()
    assert obj.pk is not None
    obj.full_clean(validate_unique=False)
    second = factory_for(model)()  # sequences keep unique fields apart
    assert second.pk != obj.pk

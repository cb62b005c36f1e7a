"""Durations read as a person says them, in Indonesian by default and in English on request."""

import pytest
from django.utils import translation

from core.templatetags.sispam_format import duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, ""),
        ("", ""),
        ("x", ""),
        (0, "0 detik"),
        (45, "45 detik"),
        (89, "1 menit"),
        (1320, "22 menit"),
        (3599, "1 jam 00 menit"),
        (3600, "1 jam 00 menit"),
        (3900, "1 jam 05 menit"),
        (4000.4, "1 jam 07 menit"),
    ],
)
def test_duration_in_indonesian(seconds, text):
    with translation.override("id"):
        assert duration(seconds) == text


def test_duration_in_english():
    with translation.override("en"):
        assert duration(1320) == "22 minutes"
        assert duration(60) == "1 minute"
        assert duration(3900) == "1 h 05 min"

"""The staff sign-in settings: safe by default in production, easy in development."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "a-production-like-secret-key-that-is-long-enough-0123456789",
    "DJANGO_ALLOWED_HOSTS": "clinic.example",
    "SITE_URL": "https://clinic.example",
}
SHOW = (
    "from django.conf import settings; "
    "print(settings.STAFF_MFA_REQUIRED, settings.STAFF_SESSION_IDLE_MINUTES)"
)


def run_shell(**env):
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SITE_URL", "STAFF_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SHOW],
        cwd=PROJECT_DIR,
        env=clean_env | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_requires_a_second_factor_and_ends_idle_sessions_after_two_hours():
    result = run_shell(**PRODUCTION_ENV)

    assert result.stdout.split() == ["True", "120"]


def test_development_does_not_require_a_second_factor():
    result = run_shell(DJANGO_DEBUG="1")

    assert result.stdout.split()[0] == "False"


@pytest.mark.parametrize(
    ("name", "value"),
    [("STAFF_MFA_REQUIRED", "sometimes"), ("STAFF_SESSION_IDLE_MINUTES", "0")],
)
def test_bad_staff_settings_stop_start_up_naming_the_variable(name, value):
    result = run_shell(**PRODUCTION_ENV, **{name: value})

    assert result.returncode != 0
    assert name in result.stderr

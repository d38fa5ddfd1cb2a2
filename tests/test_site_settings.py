"""Settings come from the environment; bad values stop start-up."""

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


def run_manage(*args, **env):
    clean_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "EMAIL_", "SITE_URL", "LEADS_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=clean_env | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_missing_secret_key_stops_start_up_naming_the_variable():
    result = run_manage("check", DJANGO_ALLOWED_HOSTS="clinic.example")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("name", ["DJANGO_ALLOWED_HOSTS", "SITE_URL"])
def test_production_start_up_needs_hosts_and_site_url(name):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != name}

    result = run_manage("check", **env)

    assert result.returncode != 0
    assert name in result.stderr


def test_debug_mode_runs_without_a_secret_key():
    result = run_manage("check", DJANGO_DEBUG="1")

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("DJANGO_HTTPS", "sometimes"),
        ("EMAIL_PORT", "twenty-five"),
        ("DATABASE_URL", "mysql://nobody@localhost/clinic"),
        ("DATABASE_URL", "garbage"),
        ("SITE_URL", "clinic.example"),
        ("DJANGO_ALLOWED_HOSTS", ""),
        ("DJANGO_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO"),
    ],
)
def test_invalid_setting_stops_start_up_naming_the_variable(name, value):
    result = run_manage("check", **(PRODUCTION_ENV | {name: value}))

    assert result.returncode != 0
    assert name in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_turn_on_https_protections(settings):
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS > 0)",
        **PRODUCTION_ENV,
    )

    assert result.stdout.strip() == "True True True True"


def test_migrations_match_the_models():
    result = run_manage("makemigrations", "--check", "--dry-run", DJANGO_DEBUG="1")

    assert result.returncode == 0, result.stdout


def test_unknown_email_provider_stops_start_up_naming_the_variable():
    result = run_manage("check", **PRODUCTION_ENV, EMAIL_PROVIDER="pigeon")

    assert result.returncode != 0
    assert "EMAIL_PROVIDER" in result.stderr
    assert "postmark" in result.stderr


def test_email_provider_without_its_credentials_stops_start_up():
    result = run_manage("check", **PRODUCTION_ENV, EMAIL_PROVIDER="postmark")

    assert result.returncode != 0
    assert "ANYMAIL_POSTMARK_SERVER_TOKEN" in result.stderr


def test_email_provider_uses_anymails_backend_and_setting_names():
    code = (
        "from django.conf import settings; from django.core.mail import mailers; "
        "print(type(mailers.default).__module__, settings.ANYMAIL)"
    )
    result = run_manage(
        "shell",
        "-c",
        code,
        **PRODUCTION_ENV,
        EMAIL_PROVIDER="mailgun",
        ANYMAIL_MAILGUN_API_KEY="key-123",
        ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY="signing-456",
        ANYMAIL_WEBHOOK_SECRET="hook:secret",
    )

    assert result.returncode == 0, result.stderr
    assert "anymail.backends.mailgun" in result.stdout
    assert "'MAILGUN_API_KEY': 'key-123'" in result.stdout
    assert "'MAILGUN_WEBHOOK_SIGNING_KEY': 'signing-456'" in result.stdout
    assert "'WEBHOOK_SECRET': 'hook:secret'" in result.stdout


def test_webhook_secret_without_a_password_stops_start_up():
    result = run_manage("check", **PRODUCTION_ENV, ANYMAIL_WEBHOOK_SECRET="justuser")

    assert result.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET" in result.stderr

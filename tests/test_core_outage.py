"""A real database outage: gunicorn keeps answering and recovers by itself.

PostgreSQL is reached through a small TCP relay that the test can cut, the
way a network failure or a database restart would.
"""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.outage import Relay, free_port, get_status, wait_for

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgres"), reason="needs a PostgreSQL DATABASE_URL"
)


@pytest.fixture
def relay():
    parts = urlsplit(DATABASE_URL)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 5432))
    relay.start()
    yield relay
    relay.cut()


@pytest.fixture
def gunicorn(relay):
    parts = urlsplit(DATABASE_URL)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{parts.username or 'postgres'}@127.0.0.1:{relay.port}/postgres"
        ),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "clinic_site.wsgi",
            "--config",
            "gunicorn.conf.py",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/healthz"

    def answering():
        try:
            return get_status(url) > 0
        except OSError:
            return False

    assert wait_for(answering), "gunicorn did not start"
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_health_check_reports_an_outage_and_recovers_when_the_database_returns(
    relay, gunicorn
):
    assert get_status(gunicorn) == 200

    relay.cut()
    assert wait_for(lambda: get_status(gunicorn) == 503)

    relay.start()
    assert wait_for(lambda: get_status(gunicorn) == 200)


@pytest.fixture
def worker_through_relay(relay, smtp_server, transactional_db):
    """A live ``run_worker`` whose database connection runs through the relay."""
    from django.db import connection

    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@127.0.0.1:{relay.port}/{db['NAME']}"
        ),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process
    process.terminate()
    process.wait(timeout=10)


def queue_confirmation(make_lead, email):
    from leads import tasks

    lead = make_lead(email=email)
    tasks.send_lead_confirmation.enqueue(lead.pk)


def test_the_worker_outlives_a_database_outage_and_carries_on(
    relay, worker_through_relay, smtp_server, make_lead
):
    queue_confirmation(make_lead, "before@example.com")
    assert wait_for(lambda: smtp_server.to("before@example.com"))

    relay.cut()
    assert wait_for(lambda: False, seconds=3) is False
    relay.start()
    queue_confirmation(make_lead, "after@example.com")

    assert wait_for(lambda: smtp_server.to("after@example.com"), seconds=40)
    assert worker_through_relay.poll() is None


def test_the_worker_outlives_a_mail_server_outage(
    worker_through_relay, smtp_server, make_lead
):
    smtp_server.stop()
    queue_confirmation(make_lead, "during@example.com")
    assert wait_for(lambda: False, seconds=2) is False

    smtp_server.start()
    queue_confirmation(make_lead, "later@example.com")

    assert wait_for(lambda: smtp_server.to("later@example.com"), seconds=30)
    assert worker_through_relay.poll() is None

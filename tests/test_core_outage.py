"""A real database outage: gunicorn keeps answering and recovers by itself.

PostgreSQL is reached through a small TCP relay that the test can cut, the
way a network failure or a database restart would.
"""

import http.cookiejar
import os
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

from leads import tasks
from leads.models import Lead, Subscriber
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


def start_gunicorn(env):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clinic_site.wsgi"]
        + ["--config", "gunicorn.conf.py"],
        cwd=PROJECT_DIR,
        env={
            **env,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    site = f"http://127.0.0.1:{port}"

    def answering():
        try:
            return get_status(site + "/healthz") > 0
        except OSError:
            return False

    assert wait_for(answering), "gunicorn did not start"
    return process, site


def through_relay(relay, database):
    user = urlsplit(DATABASE_URL).username or "postgres"
    return f"postgres://{user}@127.0.0.1:{relay.port}/{database}"


@pytest.fixture
def gunicorn(relay):
    env = {**os.environ, "DATABASE_URL": through_relay(relay, "postgres")}
    process, site = start_gunicorn(env)
    yield site + "/healthz"
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
def env_through_relay(relay, smtp_server, transactional_db, tmp_path):
    """Settings for site and worker processes that reach the test database
    through the relay, mail the SMTP sink and share one spool folder."""
    return {
        **os.environ,
        "DATABASE_URL": through_relay(relay, connection.settings_dict["NAME"]),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "SPOOL_DIR": str(tmp_path / "spool"),
        "PUBLIC_FORM_MIN_FILL_SECONDS": "0",
    }


@pytest.fixture
def worker_through_relay(env_through_relay):
    """A live ``run_worker`` whose database connection runs through the relay."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--interval", "0.2"],
        cwd=PROJECT_DIR,
        env=env_through_relay,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield process
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def site_through_relay(env_through_relay):
    # DEBUG serves the static files as they are, without collectstatic.
    process, site = start_gunicorn({**env_through_relay, "DJANGO_DEBUG": "1"})
    yield site
    process.terminate()
    process.wait(timeout=10)


def queue_confirmation(make_lead, email):
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


HIDDEN_FIELD = re.compile(r'name="(csrfmiddlewaretoken|started)" value="([^"]*)"')


class Visitor:
    """A browser without a browser: cookies kept, forms read and posted."""

    def __init__(self, site):
        self.site = site
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path):
        with self.opener.open(self.site + path, timeout=20) as response:
            return response.status, response.read().decode()

    def post_form(self, path, fields):
        """Load the form at ``path``, fill in ``fields`` and send it."""
        status, page = self.get(path)
        assert status == 200
        hidden = dict(
            re.findall(r'name="(csrfmiddlewaretoken|started)" value="([^"]*)"', page)
        )
        body = urllib.parse.urlencode({**hidden, **fields}, doseq=True).encode()
        with self.opener.open(self.site + path, body, timeout=20) as response:
            return response.status, response.geturl()


CONTACT = {
    "full_name": "Person During Outage",
    "phone": "(415) 555-2671",
    "preferred_contact_method": "email",
    "interests": ["depression"],
    "message": "",
    "consent": "on",
}


def test_requests_accepted_during_an_outage_are_stored_once_with_their_emails(
    relay, site_through_relay, worker_through_relay, smtp_server
):
    visitor = Visitor(site_through_relay)
    relay.cut()
    assert wait_for(lambda: get_status(site_through_relay + "/healthz") == 503)

    answers = [
        visitor.post_form("/contact/", {**CONTACT, "email": f"p{n}@example.com"})
        for n in range(5)
    ]
    answers.append(
        visitor.post_form(
            "/subscribe/",
            {"email": "reader@example.com", "first_name": "", "frequency": "weekly"},
        )
    )
    relay.start()

    assert all(status == 200 for status, _ in answers)
    assert [url.rsplit("/", 2)[-2] for _, url in answers] == ["thanks"] * 6
    confirmations = [f"p{n}@example.com" for n in range(5)] + ["reader@example.com"]
    assert wait_for(
        lambda: all(smtp_server.to(address) for address in confirmations), seconds=90
    )
    assert wait_for(lambda: len(smtp_server.to("frontdesk@clinic.example")) == 5)
    assert Lead.objects.filter(full_name="Person During Outage").count() == 5
    assert Subscriber.objects.filter(email="reader@example.com").count() == 1
    assert all(len(smtp_server.to(address)) == 1 for address in confirmations)

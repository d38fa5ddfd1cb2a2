"""Exactly-once newsletter delivery with real worker processes and real SMTP.

These tests run ``manage.py`` in subprocesses against a database both sides
can see: the PostgreSQL test database when the suite runs on PostgreSQL, a
SQLite file otherwise (the suite's in-memory SQLite is private to pytest).
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from newsletter import announcing, sending
from newsletter.models import Delivery
from tests.test_newsletter_sending import make_post, make_subscriber

ROOT = Path(__file__).resolve().parent.parent
READERS = 25

SEED = f"""
from django.utils import timezone
from blog.models import Author, Post
from leads.models import Subscriber
author = Author.objects.create(display_name="Clinical Team", slug="clinical-team")
Post.objects.create(
    title="Killed mid-send", slug="killed-mid-send", body="Body.", author=author,
    status="published", published_at=timezone.now(),
)
Subscriber.objects.bulk_create(
    Subscriber(email=f"reader{{n:02}}@example.com", status="confirmed")
    for n in range({READERS})
)
"""

REPORT = """
from collections import Counter
from newsletter.models import Delivery
print(dict(Counter(Delivery.objects.values_list("status", flat=True))))
"""


def manage(env, *args, wait=True):
    command = [sys.executable, str(ROOT / "manage.py"), *args]
    if not wait:
        return subprocess.Popen(command, env=env, cwd=ROOT)
    return subprocess.run(
        command, env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def worker_env(request, smtp_server, tmp_path):
    """Environment for manage.py subprocesses: shared database, the SMTP sink."""
    env = {
        **os.environ,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "false",
        "NEWSLETTER_BATCH_SIZE": "10",
        "NEWSLETTER_CLAIM_TIMEOUT": "2",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    if connection.vendor == "postgresql":
        request.getfixturevalue("transactional_db")
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
        manage(env, "migrate", "--no-input")
    return env


def test_worker_killed_mid_batch_and_restarted_sends_each_email_exactly_once(
    worker_env, smtp_server
):
    manage(worker_env, "shell", "--no-imports", "-c", SEED)
    worker = None
    original = smtp_server.handle_DATA

    async def kill_worker_at_the_thirteenth_message(server, session, envelope):
        if len(smtp_server.messages) == 12:
            os.kill(worker.pid, signal.SIGKILL)
            return "451 4.3.0 Worker gone"
        return await original(server, session, envelope)

    smtp_server.handle_DATA = kill_worker_at_the_thirteenth_message
    worker = manage(worker_env, "run_worker", "--batch", "--verbosity", "0", wait=False)
    assert worker.wait(timeout=60) == -signal.SIGKILL
    assert len(smtp_server.messages) == 12
    smtp_server.handle_DATA = original

    time.sleep(2.5)  # NEWSLETTER_CLAIM_TIMEOUT: the dead worker's claim expires
    manage(worker_env, "run_worker", "--batch", "--verbosity", "0")

    recipients = Counter(r for _, rcpts in smtp_server.envelopes for r in rcpts)
    assert sorted(recipients) == [f"reader{n:02}@example.com" for n in range(READERS)]
    assert set(recipients.values()) == {1}
    assert (
        manage(worker_env, "shell", "--no-imports", "-c", REPORT).strip()
        == f"{{'sent': {READERS}}}"
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks (SELECT ... FOR UPDATE SKIP LOCKED) exist on PostgreSQL only",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_send_the_same_delivery(smtp_server):
    for number in range(120):
        make_subscriber(f"reader{number:03}@example.com")
    make_post()
    announcing.sweep()
    start = threading.Barrier(4)
    claimed = []

    def worker():
        start.wait()
        try:
            while result := sending.send_batch(size=7):
                if not result.claimed:
                    break
                claimed.append(result.claimed)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    recipients = Counter(r for _, rcpts in smtp_server.envelopes for r in rcpts)
    assert len(recipients) == 120
    assert set(recipients.values()) == {1}
    assert sum(claimed) == 120
    assert Delivery.objects.filter(status="sent").count() == 120

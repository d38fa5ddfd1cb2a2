"""NEWSLETTER_MAX_PER_SECOND and NEWSLETTER_MAX_PER_HOUR hold across two
worker processes together (issue 11)."""

import subprocess
import sys
import time
from collections import Counter

import pytest
from django.db import connection

from tests.test_newsletter_worker import ROOT, manage, worker_env  # noqa: F401


def shell(env, code):
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "--no-imports", "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


SEED = """
from django.utils import timezone
from blog.models import Author, Post
from leads.models import Subscriber
author = Author.objects.create(display_name="Clinical Team", slug="clinical-team")
Post.objects.create(
    title="Rate limited", slug="rate-limited", body="Body.", author=author,
    status="published", published_at=timezone.now(),
)
Subscriber.objects.bulk_create(
    Subscriber(email=f"reader{n:02}@example.com", status="confirmed")
    for n in range(READERS)
)
from newsletter import announcing
announcing.sweep()
"""

REPORT = """
from collections import Counter
from django.utils import timezone
from newsletter.models import Delivery
queued = Delivery.objects.filter(status="queued")
print(dict(Counter(Delivery.objects.values_list("status", flat=True))))
print(all(d.next_attempt_at > timezone.now() and d.attempts == 0 for d in queued))
"""

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="two worker processes share a database on PostgreSQL",
    ),
    # Set up the test database before worker_env reads its name.
    pytest.mark.django_db(transaction=True),
]


def run_two_workers(env):
    workers = [
        manage(env, "run_worker", "--batch", "--verbosity", "0", wait=False)
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.wait(timeout=120) == 0


def test_per_second_limit_holds_across_two_workers(worker_env, smtp_server):  # noqa: F811
    env = {**worker_env, "NEWSLETTER_MAX_PER_SECOND": "4", "NEWSLETTER_BATCH_SIZE": "5"}
    shell(env, SEED.replace("READERS", "16"))
    arrivals = []
    original = smtp_server.handle_DATA

    async def note_arrival(server, session, envelope):
        arrivals.append(time.time())
        return await original(server, session, envelope)

    smtp_server.handle_DATA = note_arrival

    run_two_workers(env)

    assert len(smtp_server.messages) == 16
    # Windows are fixed and a slot is taken before the email travels, so a
    # second at the sink may see one window's emails and the late ones of
    # the window before, never more.
    per_second = Counter(int(moment) for moment in arrivals)
    assert max(per_second.values()) <= 2 * 4
    # 16 emails at 4 a second fill four windows: more than two seconds apart.
    assert arrivals[-1] - arrivals[0] > 2.0


def test_per_hour_limit_holds_across_two_workers_and_keeps_the_rest(
    worker_env,  # noqa: F811
    smtp_server,
):
    env = {**worker_env, "NEWSLETTER_MAX_PER_HOUR": "7", "NEWSLETTER_BATCH_SIZE": "4"}
    shell(env, SEED.replace("READERS", "20"))

    run_two_workers(env)

    recipients = Counter(r for _, rcpts in smtp_server.envelopes for r in rcpts)
    assert len(recipients) == 7
    assert set(recipients.values()) == {1}
    counts, waiting_properly = manage(env, "shell", "--no-imports", "-c", REPORT).split(
        "\n"
    )[:2]
    assert (
        counts == "{'sent': 7, 'queued': 13}" or counts == "{'queued': 13, 'sent': 7}"
    )
    assert waiting_properly == "True"

"""Sending one post to 10,000 and 50,000 subscribers: emails per second and
the worker's peak memory.

A local SMTP sink (aiosmtpd, in its own process) accepts every message. For
each size the script adds that many confirmed subscribers and a post that
has just gone public, runs the sweep that queues a delivery per subscriber,
then runs the real worker (``manage.py run_worker --batch``, one or more
processes) until everything is sent, and reads each worker's peak resident
memory from the kernel (``os.wait4``). Flat memory means the figure stays
the same when the list grows five times.

Uses a fresh SQLite file, or the database in DATABASE_URL (PostgreSQL), which
must have no subscribers of its own: the script only removes what it added.

    .venv/bin/python bench/newsletter_send.py [--sizes 10000 50000] [--workers 1]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_DOMAIN = "bench.invalid"

SINK = """
import sys
from aiosmtpd.controller import Controller

class Sink:
    received = 0

    async def handle_DATA(self, server, session, envelope):
        Sink.received += 1
        return "250 OK"

controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
print(Sink.received, flush=True)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(env):
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic_site.settings")
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()


def seed(size):
    """A post that just went public and ``size`` confirmed subscribers."""
    from django.utils import timezone

    from blog.models import Author, Post
    from leads.models import Subscriber

    clear()
    author = Author.objects.create(display_name="Benchmark author", slug="bench-author")
    post = Post.objects.create(
        title=f"Benchmark post for {size:,} subscribers",
        slug=f"bench-post-{size}",
        summary="What a course of ketamine treatment looks like, session by session.",
        body="Body.",
        author=author,
        status=Post.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    chunk = []
    for number in range(size):
        chunk.append(
            Subscriber(
                email=f"reader{number}@{BENCH_DOMAIN}",
                first_name="Reader",
                status=Subscriber.Status.CONFIRMED,
            )
        )
        if len(chunk) == 5000:
            Subscriber.objects.bulk_create(chunk)
            chunk = []
    Subscriber.objects.bulk_create(chunk)
    return post


def clear():
    from blog.models import Author, Post
    from leads.models import Subscriber

    Post.objects.filter(slug__startswith="bench-post-").delete()
    Author.objects.filter(slug="bench-author").delete()
    Subscriber.objects.filter(email__endswith=f"@{BENCH_DOMAIN}").delete()


def sent_figures(post):
    from django.db.models import Max, Min

    from newsletter.models import Delivery

    deliveries = Delivery.objects.filter(post=post)
    span = deliveries.filter(status=Delivery.Status.SENT).aggregate(
        first=Min("sent_at"), last=Max("sent_at")
    )
    sent = deliveries.filter(status=Delivery.Status.SENT).count()
    seconds = (span["last"] - span["first"]).total_seconds() if sent > 1 else 0
    return sent, deliveries.count(), seconds


def run_workers(env, count):
    """Run ``count`` workers until the queue is empty.

    Returns the seconds until the last one exited and the largest peak
    resident memory of any of them, in MiB.
    """
    started = time.perf_counter()
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "run_worker", "--batch", "--verbosity", "0"],
            cwd=PROJECT_DIR,
            env=env,
        )
        for _ in range(count)
    ]
    peak_kib = 0
    for worker in workers:
        _, status, usage = os.wait4(worker.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"A worker failed with status {status}")
        peak_kib = max(peak_kib, usage.ru_maxrss)  # Linux reports KiB
    return time.perf_counter() - started, peak_kib / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes sending at once"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="clinic-newsletter-bench-"))
    smtp_port = free_port()
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "benchmark-only-secret-key-" + "0123456789abcdef" * 3,
        "DJANGO_HTTPS": "false",
        "SITE_URL": "https://clinic.example",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(workdir / "media"),
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "false",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_DEBUG", None)
    database = env["DATABASE_URL"].split("@")[-1]
    print(f"Database: {database}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
    )
    setup_django(env)
    from leads.models import Subscriber

    if Subscriber.objects.exclude(email__endswith=f"@{BENCH_DOMAIN}").exists():
        sys.exit("This database has real subscribers; point DATABASE_URL elsewhere.")

    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(smtp_port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout.readline().strip() == "ready"
    from newsletter import announcing, sending

    print(f"Workers: {args.workers}")
    print(
        f"{'subscribers':>11}  {'listing':>8}  {'sent':>7}  {'workers ran':>11}  "
        f"{'sending':>8}  {'emails/s':>8}  {'peak RSS':>9}"
    )
    try:
        for size in args.sizes:
            post = seed(size)
            started = time.perf_counter()
            announcing.sweep()  # what a worker's first sweep does: list and enqueue
            listing = time.perf_counter() - started
            elapsed, peak_mib = run_workers(env, args.workers)
            sent, total, sending = sent_figures(post)
            rate = sent / sending if sending else float("nan")
            print(
                f"{size:>11,}  {listing:>7.1f}s  {sent:>7,}  {elapsed:>10.1f}s  "
                f"{sending:>7.1f}s  {rate:>8,.0f}  {peak_mib:>6.1f} MiB",
                flush=True,
            )
            if sent != size or total != size:
                sys.exit(f"Expected {size} sent, got {sent} of {total}")
    finally:
        clear()
        sink.stdin.close()
        received = sink.stdout.readline().strip()
        sink.wait(timeout=30)
    print(f"The SMTP sink received {received} messages in all.")
    print(
        "'listing' queues one delivery per subscriber; 'workers ran' includes "
        "start-up; 'sending' spans the first to the last accepted email; "
        "'peak RSS' is the largest worker's."
    )


if __name__ == "__main__":
    main()

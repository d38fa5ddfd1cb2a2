"""Sending one post to 10,000 and 50,000 subscribers: emails per second and
the worker's peak memory, against plain smtplib into the same sink.

A local SMTP sink (aiosmtpd, in its own process) accepts every message. Like
Postfix, Exim and most mail servers it offers PIPELINING (RFC 2920), so the
site's sender sends each envelope in one go; plain smtplib does not use it.
``--no-pipelining`` measures a server that does not offer it. For each size
the script adds that many confirmed subscribers and a post that has just
gone public, runs the sweep that queues a delivery per subscriber, then runs
the real worker (``manage.py run_worker --batch``, one or more processes)
until everything is sent, and reads each worker's peak resident memory
(VmHWM in /proc) while it runs. Flat memory means the figure stays the same
when the list grows five times.

Right before and right after the workers, the same number of plain
``smtplib`` connections (one per worker) send 10,000 copies (fewer for a
smaller list) of one of the post's emails, already built, into the same
sink: what a plain sender reaches here. The ratio (what issue 11 asks
to keep at 0.8 or more) is taken against the mean of the two. On a shared
machine the load drifts by a factor of two within minutes, so each size is
sent ``--rounds`` times (3 by default), each round with its own baseline,
and the median ratio is printed after the rounds. Each round also prints
the CPU time per email of the workers, of a local PostgreSQL and of the sink
(and the sink's per email from smtplib): on a small machine they share its
cores, so these tell a slow sender from a busy machine.

Uses a fresh SQLite file, or the database in DATABASE_URL (PostgreSQL), which
must have no subscribers of its own: the script only removes what it added.

    .venv/bin/python bench/newsletter_send.py [--sizes 10000 50000] [--workers 1]
        [--rounds 3] [--no-pipelining]
"""

import argparse
import email.policy
import multiprocessing
import os
import re
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_DOMAIN = "bench.invalid"
BASELINE_EMAILS = 10_000

SINK = """
import sys
from aiosmtpd.controller import Controller

class Sink:
    received = 0
    pipelining = sys.argv[2] == "pipelining"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            return [*responses[:-1], "250-PIPELINING", responses[-1]]
        return responses

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
    vacuum()


def vacuum():
    """Tidy and re-count the tables the bench filled or emptied.

    Autovacuum does this on its own after a large insert or delete; this
    machine's PostgreSQL runs without it, which left the planner counting on
    an empty table and the claim walking past every dead row of earlier runs.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in ("newsletter_delivery", "leads_subscriber"):
            cursor.execute(f"VACUUM ANALYZE {table}")


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


def _plain_sender(port, count, message, start, done):
    with smtplib.SMTP("127.0.0.1", port) as connection:
        start.wait()
        for number in range(count):
            connection.sendmail(
                "hello@clinic.example", [f"plain{number}@{BENCH_DOMAIN}"], message
            )
    done.put(time.perf_counter())


def plain_smtplib_rate(port, count, connections, message):
    """Emails per second that plain smtplib reaches over ``connections``."""
    context = multiprocessing.get_context("fork")
    start = context.Barrier(connections + 1)
    done = context.Queue()
    share = -(-count // connections)
    senders = [
        context.Process(target=_plain_sender, args=(port, share, message, start, done))
        for _ in range(connections)
    ]
    for sender in senders:
        sender.start()
    start.wait()
    began = time.perf_counter()
    finished = max(done.get(timeout=300) for _ in senders)
    for sender in senders:
        sender.join()
    return share * connections / (finished - began)


def sample_message(post):
    """One of the post's emails as bytes, built once by the site's own code."""
    from leads.models import Subscriber
    from newsletter.emails import build_post_email

    reader = Subscriber.objects.filter(email__endswith=f"@{BENCH_DOMAIN}").first()
    message = build_post_email(post, reader)
    return message.message(policy=email.policy.SMTP).as_bytes()


def run_workers(env, count):
    """Run ``count`` workers until the queue is empty.

    Returns the seconds until the last one exited, the largest peak resident
    memory of any of them in MiB, and their CPU seconds. The peak is read
    from /proc (VmHWM) while they run: the kernel's ru_maxrss for a child
    also counts the parent's memory at the fork, which here holds the seeded
    subscribers.
    """
    started = time.perf_counter()
    running = {
        worker.pid: worker
        for worker in (
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "run_worker",
                    "--batch",
                    "--verbosity",
                    "0",
                ],
                cwd=PROJECT_DIR,
                env=env,
            )
            for _ in range(count)
        )
    }
    peak_kib = 0
    cpu_seconds = 0.0
    while running:
        for pid in list(running):
            peak_kib = max(peak_kib, high_water_kib(pid))
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if not done:
                continue
            del running[pid]
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit(f"A worker failed with status {status}")
            cpu_seconds += usage.ru_utime + usage.ru_stime
        time.sleep(0.1)
    return time.perf_counter() - started, peak_kib / 1024, cpu_seconds


def cpu_seconds(pid, *, with_children=False) -> float:
    """CPU time a process has used (and its children once reaped), or 0."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = fields[11:15] if with_children else fields[11:13]
    return sum(int(value) for value in ticks) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds() -> float:
    """PostgreSQL's CPU time when it runs on this machine (its backends are
    the postmaster's children), else 0."""
    found = subprocess.run(["pgrep", "-o", "postgres"], capture_output=True, text=True)
    if not found.stdout.strip():
        return 0.0
    return cpu_seconds(int(found.stdout), with_children=True)


def high_water_kib(pid) -> int:
    """The process's peak resident memory so far, or 0 once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else 0


def send_round(size, workers, env, smtp_port, sink_pid):
    """Send one post to ``size`` new subscribers; print and return the ratio."""
    from newsletter import announcing

    post = seed(size)
    message = sample_message(post)
    baseline = min(size, BASELINE_EMAILS)
    sink_started = cpu_seconds(sink_pid)
    before = plain_smtplib_rate(smtp_port, baseline, workers, message)
    sink_plain = (cpu_seconds(sink_pid) - sink_started) / baseline
    started = time.perf_counter()
    announcing.sweep()  # what a worker's first sweep does: list and enqueue
    listing = time.perf_counter() - started
    vacuum()
    database_started = database_cpu_seconds()
    sink_started = cpu_seconds(sink_pid)
    elapsed, peak_mib, worker_cpu = run_workers(env, workers)
    sink_cpu = (cpu_seconds(sink_pid) - sink_started) / size
    database_cpu = database_cpu_seconds() - database_started
    after = plain_smtplib_rate(smtp_port, baseline, workers, message)
    plain = (before + after) / 2
    sent, total, sending = sent_figures(post)
    if sent != size or total != size:
        sys.exit(f"Expected {size} sent, got {sent} of {total}")
    rate = sent / sending if sending else float("nan")
    print(
        f"{size:>11,}  {listing:>7.1f}s  {sent:>7,}  {elapsed:>10.1f}s  "
        f"{sending:>7.1f}s  {rate:>8,.0f}  {before:>11,.0f} {after:>11,.0f}  "
        f"{rate / plain:>5.2f}  {worker_cpu * 1000 / sent:>6.2f} ms  "
        f"{database_cpu * 1000 / sent:>5.2f} ms  "
        f"{sink_cpu * 1000:>4.2f} ({sink_plain * 1000:.2f}) ms  "
        f"{peak_mib:>6.1f} MiB",
        flush=True,
    )
    return rate / plain


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes sending at once"
    )
    parser.add_argument("--rounds", type=int, default=3, help="sends of each size")
    parser.add_argument(
        "--no-pipelining",
        action="store_true",
        help="a sink that does not offer PIPELINING (RFC 2920)",
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

    pipelining = "no-pipelining" if args.no_pipelining else "pipelining"
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(smtp_port), pipelining],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sink.stdout.readline().strip() == "ready"

    print(
        f"Workers: {args.workers}; the sink offers PIPELINING: {not args.no_pipelining}"
    )
    print(
        f"{'subscribers':>11}  {'listing':>8}  {'sent':>7}  {'workers ran':>11}  "
        f"{'sending':>8}  {'emails/s':>8}  {'smtplib/s before, after':>23}  "
        f"{'ratio':>5}  {'CPU/email':>9}  {'db CPU':>8}  {'sink CPU (smtplib)':>18}  "
        f"{'peak RSS':>9}"
    )
    try:
        for size in args.sizes:
            ratios = []
            for _ in range(args.rounds):
                ratios.append(send_round(size, args.workers, env, smtp_port, sink.pid))
            print(
                f"{size:>11,}  median ratio of {args.rounds} rounds: "
                f"{statistics.median(ratios):.2f}",
                flush=True,
            )
    finally:
        clear()
        sink.stdin.close()
        received = sink.stdout.readline().strip()
        sink.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"The SMTP sink received {received} messages in all.")
    print(
        "'listing' queues one delivery per subscriber; 'workers ran' includes "
        "start-up; 'sending' spans the first to the last accepted email; "
        "'smtplib/s' is plain smtplib over as many connections as workers, "
        "into the same sink, right before and after the workers; 'ratio' is "
        "emails/s over their mean; 'CPU/email' is the workers' user and system "
        "time (start-up included) per email sent; 'db CPU' is a local "
        "PostgreSQL's per email sent (0 for SQLite, which runs in the workers); "
        "'sink CPU' is the sink's per email received from the workers, and in "
        "brackets from smtplib; 'peak RSS' is the largest worker's."
    )


if __name__ == "__main__":
    main()

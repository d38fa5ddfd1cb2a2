"""The background worker: queue the periodic jobs, then run django-tasks-db.

The database task backend never retries a task and leaves a task whose worker
died marked "running" forever, so the rows themselves record which emails are
owed, and the periodic jobs (settings.PERIODIC_JOBS) find them. Each start
queues every job at once, so a restarted worker catches up straight away,
keeps the tick queued, then hands over to ``manage.py db_worker``.

A database outage must not end the worker: db_worker gives up on the first
database error, so this command waits (with backoff), reconnects and starts
it again. A mail-server error ends only the task that met it.
"""

import contextlib
import logging
import time
from argparse import BooleanOptionalAction

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, InterfaceError, connections
from django.utils.autoreload import run_with_reloader

from core.tasks import enqueue_due_jobs, keep_tick_queued

logger = logging.getLogger("core.worker")
MAX_BACKOFF_SECONDS = 30


class Command(BaseCommand):
    help = "Run the background worker (periodic jobs, then db_worker)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Process everything queued, then exit (for tests and cron).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1,
            help="Seconds to wait when the queue is empty (default: 1).",
        )
        parser.add_argument(
            "--reload",
            action=BooleanOptionalAction,
            default=settings.DEBUG,
            help="Restart on code changes (default: on when DEBUG).",
        )
        parser.add_argument("--worker-id", help="Unique name of this worker process.")

    def handle(self, *, batch, interval, reload, worker_id, verbosity, **options):
        worker_args = ["--interval", str(interval), "--verbosity", str(verbosity)]
        worker_args += ["--no-reload", "--no-startup-delay"]
        if batch:
            worker_args.append("--batch")
        if worker_id:
            worker_args += ["--worker-id", worker_id]
        if reload and not batch:
            run_with_reloader(self.work, worker_args, verbosity)
        else:
            self.work(worker_args, verbosity)

    def work(self, worker_args, verbosity):
        """Run db_worker until it stops by itself; outlive database outages."""
        failures = 0
        while True:
            try:
                queued = enqueue_due_jobs(force=True)
                keep_tick_queued()
                failures = 0
                if verbosity:
                    self.stdout.write(f"Periodic jobs queued: {', '.join(queued)}")
                call_command("db_worker", *worker_args)
                return
            except (DatabaseError, InterfaceError) as error:
                failures += 1
                delay = min(2**failures, MAX_BACKOFF_SECONDS)
                logger.warning(
                    "Database unavailable (%s); the worker retries in %s s",
                    type(error).__name__,
                    delay,
                )
                for connection in connections.all():
                    with contextlib.suppress(DatabaseError, InterfaceError):
                        connection.close()
                time.sleep(delay)

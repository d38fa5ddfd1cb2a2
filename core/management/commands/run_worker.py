"""The background worker: queue the periodic jobs, then run django-tasks-db.

The database task backend never retries a task and leaves a task whose worker
died marked "running" forever, so the rows themselves record which emails are
owed, and the periodic jobs (settings.PERIODIC_JOBS) find them. Each start
queues every job at once, so a restarted worker catches up straight away,
keeps the tick queued, then runs the django-tasks-db worker.

A database outage must not end the worker: django-tasks-db's worker gives up
on the first database error, so this command waits (with backoff),
reconnects and starts it again, under the autoreloader too. A mail-server
error ends only the task that met it.
"""

import contextlib
import logging
import os
import time
from argparse import BooleanOptionalAction

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError, InterfaceError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django.utils.crypto import get_random_string
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from core.tasks import enqueue_due_jobs, keep_tick_queued

logger = logging.getLogger("core.worker")
MAX_BACKOFF_SECONDS = 30


class Command(BaseCommand):
    help = "Run the background worker: periodic jobs and queued tasks."

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
        worker = Worker(
            queue_names=[DEFAULT_TASK_QUEUE_NAME],
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id or get_random_string(32),
            excluded_queue_names=[],
        )
        if reload and not batch:
            # The reloader runs the worker in a thread of its child process;
            # signals can only be set up in that process's main thread.
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(self.work, worker, verbosity)
        else:
            worker.configure_signals()
            self.work(worker, verbosity)

    def work(self, worker, verbosity):
        """Run the task worker until it stops by itself (a signal, or an
        empty queue in batch mode); outlive database outages."""
        failures = 0
        while True:
            try:
                queued = enqueue_due_jobs(force=True)
                keep_tick_queued()
                failures = 0
                if verbosity:
                    self.stdout.write(f"Periodic jobs queued: {', '.join(queued)}")
                worker.run()
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

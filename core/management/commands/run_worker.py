"""The background worker: queue the periodic jobs, then run django-tasks-db.

The database task backend never retries a task and leaves a task whose worker
died marked "running" forever, so the rows themselves record which emails are
owed, and the periodic jobs (settings.PERIODIC_JOBS) find them. Each start
queues every job at once, so a restarted worker catches up straight away,
keeps the tick queued, then hands over to ``manage.py db_worker``.
"""

from argparse import BooleanOptionalAction

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.tasks import enqueue_due_jobs, keep_tick_queued


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
        queued = enqueue_due_jobs(force=True)
        keep_tick_queued()
        if verbosity:
            self.stdout.write(f"Periodic jobs queued: {', '.join(queued) or 'none'}")
        worker_args = ["--interval", str(interval), "--verbosity", str(verbosity)]
        if batch:
            worker_args += ["--batch", "--no-startup-delay"]
        worker_args.append("--reload" if reload and not batch else "--no-reload")
        if worker_id:
            worker_args += ["--worker-id", worker_id]
        call_command("db_worker", *worker_args)

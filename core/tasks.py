"""Periodic work, from one list: ``settings.PERIODIC_JOBS``.

Each entry maps a plain function, by dotted path, to how often it runs, so an
app adds a job without core importing it. The worker needs no cron: a tick
task keeps itself queued every PERIODIC_TICK_SECONDS and queues each job
whose interval has passed since it was last queued. Claiming a job is a
conditional UPDATE, so any number of workers queue it once. The management
commands that do the same work can still run from cron.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.tasks import task
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from core.models import PeriodicJob

# Finished task rows are kept this long for staff to look at, then removed:
# a sweep every minute adds up.
FINISHED_TASKS_KEPT = timedelta(days=2)


@task
def run_periodic_job(path: str):
    """Run one job of settings.PERIODIC_JOBS; its result is kept with the task."""
    return import_string(path)()


@task
def tick() -> list[str]:
    """Queue the jobs that are due, then the next tick."""
    try:
        return enqueue_due_jobs()
    finally:
        keep_tick_queued()


def claim_job(path: str, every: timedelta, now, force: bool = False) -> bool:
    """Mark the job queued now, unless it was queued within ``every``."""
    try:
        with transaction.atomic():
            PeriodicJob.objects.get_or_create(path=path)
    except IntegrityError:  # another worker created it a moment ago
        pass
    due = PeriodicJob.objects.filter(path=path)
    if not force:
        due = due.filter(
            Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=now - every)
        )
    return bool(due.update(last_enqueued_at=now))


def enqueue_due_jobs(now=None, force: bool = False) -> list[str]:
    """Queue every job whose interval has passed; ``force`` queues them all."""
    now = now or timezone.now()
    queued = []
    for path, seconds in settings.PERIODIC_JOBS.items():
        if claim_job(path, timedelta(seconds=seconds), now, force):
            run_periodic_job.enqueue(path)
            queued.append(path)
    return queued


def uses_database_backend() -> bool:
    return isinstance(tick.get_backend(), DatabaseBackend)


def keep_tick_queued(now=None) -> None:
    """Keep exactly one future tick queued, and forget old finished tasks.

    Only the database backend can hold a task for later; with another backend
    the jobs run when the worker starts or from cron.
    """
    if not uses_database_backend():
        return
    now = now or timezone.now()
    DBTaskResult.objects.filter(
        status="SUCCESSFUL", finished_at__lt=now - FINISHED_TASKS_KEPT
    ).delete()
    if not DBTaskResult.objects.filter(task_path=tick.module_path, status="READY"):
        run_after = now + timedelta(seconds=settings.PERIODIC_TICK_SECONDS)
        tick.using(run_after=run_after).enqueue()

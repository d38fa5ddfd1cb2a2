"""Periodic work: one list of jobs, queued by the worker without cron."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core import tasks
from core.models import PeriodicJob
from leads.models import Lead

pytestmark = pytest.mark.django_db

JOBS = {"leads.tasks.enqueue_unsent_emails": 600, "newsletter.announcing.sweep": 60}


def queued_jobs():
    rows = DBTaskResult.objects.filter(
        task_path=tasks.run_periodic_job.module_path, status="READY"
    )
    return sorted(row.args_kwargs["args"][0] for row in rows)


def test_every_job_the_site_needs_is_on_the_list(settings):
    assert set(settings.PERIODIC_JOBS) == {
        "leads.tasks.enqueue_unsent_emails",
        "newsletter.announcing.sweep",
        "newsletter.announcing.send_weekly_digest_if_due",
        "leads.privacy.purge_expired_leads",
        "core.spool.drain",
        "blog.scheduling.refresh_pages_for_due_posts",
    }
    assert settings.PERIODIC_JOBS["leads.privacy.purge_expired_leads"] == 86400


def test_a_job_that_never_ran_is_due(settings):
    settings.PERIODIC_JOBS = JOBS

    queued = tasks.enqueue_due_jobs()

    assert sorted(queued) == sorted(JOBS)
    assert queued_jobs() == sorted(JOBS)


def test_a_job_is_not_queued_again_within_its_interval(settings):
    settings.PERIODIC_JOBS = JOBS
    now = timezone.now()
    tasks.enqueue_due_jobs(now)

    again = tasks.enqueue_due_jobs(now + timedelta(seconds=120))

    assert again == ["newsletter.announcing.sweep"]


def test_two_workers_ticking_at_once_queue_a_job_once(settings):
    settings.PERIODIC_JOBS = JOBS
    now = timezone.now()

    first = tasks.enqueue_due_jobs(now)
    second = tasks.enqueue_due_jobs(now)

    assert len(first) == 2
    assert second == []


def test_a_starting_worker_queues_every_job_at_once(settings):
    settings.PERIODIC_JOBS = JOBS
    tasks.enqueue_due_jobs()

    tasks.enqueue_due_jobs(force=True)

    assert queued_jobs() == sorted([*JOBS, *JOBS])
    assert PeriodicJob.objects.count() == 2


def test_the_tick_keeps_exactly_one_future_tick_queued(settings):
    settings.PERIODIC_JOBS = JOBS

    tasks.tick.call()
    tasks.tick.call()

    ticks = DBTaskResult.objects.filter(task_path=tasks.tick.module_path)
    assert ticks.count() == 1
    expected = timezone.now() + timedelta(seconds=settings.PERIODIC_TICK_SECONDS)
    assert abs((ticks.get().run_after - expected).total_seconds()) < 5


def test_the_tick_forgets_finished_tasks_after_two_days():
    old = timezone.now() - timedelta(days=3)
    tasks.run_periodic_job.enqueue("leads.tasks.enqueue_unsent_emails")
    DBTaskResult.objects.update(status="SUCCESSFUL", finished_at=old)

    tasks.keep_tick_queued()

    assert not DBTaskResult.objects.filter(status="SUCCESSFUL").exists()


def test_a_periodic_job_runs_the_named_function(make_lead, settings):
    settings.LEADS_RETENTION_DAYS = 30
    lead = make_lead(
        status=Lead.Status.NOT_A_FIT, created_at=timezone.now() - timedelta(days=31)
    )

    result = tasks.run_periodic_job.call("leads.privacy.purge_expired_leads")

    assert result == 1
    lead.refresh_from_db()
    assert lead.anonymized_at is not None


@pytest.mark.django_db(transaction=True)
def test_run_worker_queues_the_jobs_and_works_through_them(settings):
    settings.PERIODIC_JOBS = JOBS

    call_command("run_worker", "--batch", verbosity=0)

    finished = DBTaskResult.objects.filter(
        task_path=tasks.run_periodic_job.module_path, status="SUCCESSFUL"
    )
    assert finished.count() == 2
    assert DBTaskResult.objects.filter(task_path=tasks.tick.module_path).count() == 1

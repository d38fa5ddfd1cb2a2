"""The newsletter's background entry points.

Batches run below the default priority, so a consultation request's emails
never wait behind a 50,000-subscriber send. The delivery rows, not the task
table, decide what is owed: a lost batch task is replaced by the next sweep.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.tasks import task, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from newsletter import emails, sending
from newsletter.models import Delivery

NEWSLETTER_PRIORITY = -10
# At most this many batch tasks wait at once (500,000 emails at the default
# batch size); each finishing batch enqueues more while deliveries remain.
MAX_BATCHES_PER_SWEEP = 1000


@task(priority=NEWSLETTER_PRIORITY)
def send_newsletter_batch() -> dict:
    """Claim one batch of owed newsletter deliveries and send it.

    A batch that found work makes sure another follows while deliveries are
    still claimable, so a send finishes without waiting for the next sweep.
    """
    result = sending.send_batch()
    if result.claimed:
        ensure_send_batches()
    return result.counts


@task
def send_newsletter_test(post_id: int, user_id: int) -> str:
    """Email a post to a member of staff exactly as subscribers will see it."""
    user = get_user_model().objects.filter(pk=user_id).exclude(email="").first()
    if user is None:
        return "no address"
    return emails.send_test_email(post_id, user.email, user.first_name)


def enqueue_send_batches(count: int) -> int:
    """Enqueue enough batch tasks to send ``count`` deliveries."""
    batches = min(-(-count // settings.NEWSLETTER_BATCH_SIZE), MAX_BATCHES_PER_SWEEP)
    for _ in range(batches):
        send_newsletter_batch.enqueue()
    return batches


def ensure_send_batches(now=None) -> int:
    """Enqueue batches for whatever is claimable, unless some already wait."""
    if _send_batches_waiting():
        return 0
    with transaction.atomic():
        return enqueue_send_batches(Delivery.objects.claimable(now).count())


def _send_batches_waiting() -> bool:
    """Whether a batch task is already waiting in the database queue.

    Only a hint to avoid piling up tasks: a waiting batch takes whatever is
    claimable when it runs. Other task backends always get new batches.
    """

    backend = task_backends[send_newsletter_batch.backend]
    if not isinstance(backend, DatabaseBackend):
        return False
    return (
        DBTaskResult.objects.ready()
        .filter(task_path=send_newsletter_batch.module_path)
        .exists()
    )

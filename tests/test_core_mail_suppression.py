"""One pipeline for all mail, seen from the real SMTP sink: an address refused
for good anywhere is never mailed again anywhere, and temporary failures back
off by the same rule in the single-email tasks and the newsletter batches."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core import mail
from core.models import SuppressedAddress
from leads import tasks
from leads.models import Subscriber
from newsletter import announcing, sending
from newsletter.models import Delivery
from tests.test_newsletter_sending import make_post, make_subscriber

pytestmark = pytest.mark.django_db


def lead_retries():
    return DBTaskResult.objects.filter(
        status="READY", task_path=tasks.send_lead_confirmation.module_path
    )


@pytest.fixture(autouse=True)
def _staff(settings):
    settings.LEADS_NOTIFY_EMAILS = ["frontdesk@clinic.example", "nurse@clinic.example"]


@pytest.fixture
def attempted(smtp_server):
    """Every address the site gave to RCPT TO, accepted or not."""
    addresses = []
    answer = smtp_server.handle_RCPT

    async def record(server, session, envelope, address, rcpt_options):
        addresses.append(address)
        return await answer(server, session, envelope, address, rcpt_options)

    smtp_server.handle_RCPT = record
    return addresses


def send_newsletter():
    announcing.sweep()
    while sending.send_batch().claimed:
        pass


def test_an_address_bounced_by_the_newsletter_gets_no_lead_confirmation(
    smtp_server, attempted, make_lead
):
    make_subscriber("gone@example.com")
    smtp_server.refuse.add("gone@example.com")
    make_post()
    send_newsletter()
    smtp_server.refuse.clear()
    lead = make_lead(email="Gone@Example.com")

    outcome = tasks.send_lead_confirmation.call(lead.pk)

    assert outcome == "skipped"
    assert attempted == ["gone@example.com"]  # the newsletter's refused try only
    assert smtp_server.to("gone@example.com") == []
    assert not lead_retries().exists()
    lead.refresh_from_db()
    assert lead.confirmation_sent_at is None


def test_an_address_refused_for_a_lead_confirmation_gets_no_newsletter(
    smtp_server, attempted, make_lead
):
    lead = make_lead(email="gone@example.com")
    smtp_server.refuse.add("gone@example.com")
    assert tasks.send_lead_confirmation.call(lead.pk) == "bounced"
    smtp_server.refuse.clear()
    gone = make_subscriber("gone@example.com")
    make_subscriber("ana@example.com")
    make_post()

    send_newsletter()

    assert attempted == ["gone@example.com", "ana@example.com"]
    assert [m["To"] for m in smtp_server.messages] == ["ana@example.com"]
    delivery = Delivery.objects.get(subscriber=gone)
    assert delivery.status == Delivery.Status.SKIPPED
    assert "suppression list" in delivery.last_error


def test_a_permanent_refusal_records_the_address_and_the_servers_answer(
    smtp_server, make_lead
):
    lead = make_lead(email="Gone@Example.com")
    smtp_server.refuse.add("Gone@Example.com")

    tasks.send_lead_confirmation.call(lead.pk)

    row = SuppressedAddress.objects.get()
    assert row.address == "gone@example.com"
    assert row.reason == SuppressedAddress.Reason.BOUNCED
    assert "550" in row.detail


def test_a_suppressed_address_gets_no_sign_up_confirmation(smtp_server, attempted):
    mail.suppress(["reader@example.com"], SuppressedAddress.Reason.COMPLAINED)
    subscriber = Subscriber.objects.create(email="reader@example.com")

    outcome = tasks.send_subscription_confirmation.call(subscriber.pk)

    assert outcome == "skipped"
    assert attempted == []


def test_a_suppressed_staff_address_is_left_out_of_the_notification(
    smtp_server, attempted, make_lead
):
    mail.suppress(["nurse@clinic.example"])
    lead = make_lead()

    assert tasks.send_lead_notification.call(lead.pk) == "sent"

    assert attempted == ["frontdesk@clinic.example"]
    [notification] = smtp_server.messages
    assert notification["To"] == "frontdesk@clinic.example"


def test_the_sweep_queues_nothing_for_suppressed_addresses(smtp_server, make_lead):
    mail.suppress(["gone@example.com", "frontdesk@clinic.example"])
    mail.suppress(["nurse@clinic.example"])
    lead = make_lead(email="gone@example.com")
    Subscriber.objects.create(email="Gone@example.com")
    later = timezone.now() + timedelta(minutes=10)
    DBTaskResult.objects.all().delete()

    count = tasks.enqueue_unsent_emails(now=later)

    assert count == 0
    lead.refresh_from_db()
    assert lead.confirmation_sent_at is None


def test_temporary_failures_back_off_by_the_same_rule_in_tasks_and_batches(
    smtp_server, settings, make_lead
):
    settings.MAIL_RETRY_SECONDS = 120
    smtp_server.defer.update({"jordan@example.com", "ana@example.com"})
    lead = make_lead(email="jordan@example.com")
    make_subscriber("ana@example.com")
    make_post()
    task_delays, batch_delays = [], []

    for attempt in range(3):
        before = timezone.now()
        tasks.send_lead_confirmation.call(lead.pk, attempt)
        retry = lead_retries().get()
        task_delays.append(retry.run_after - before)
        retry.delete()
        announcing.sweep()
        before = timezone.now()
        Delivery.objects.update(next_attempt_at=None)
        sending.send_batch()
        batch_delays.append(Delivery.objects.get().next_attempt_at - before)

    expected = [mail.retry_delay(attempt).total_seconds() for attempt in (1, 2, 3)]
    assert expected == [120, 240, 480]
    assert [round(d.total_seconds()) for d in task_delays] == expected
    assert [round(d.total_seconds()) for d in batch_delays] == expected


def test_temporary_failures_stop_at_the_same_limit_in_tasks_and_batches(
    smtp_server, settings, make_lead
):
    settings.MAIL_MAX_ATTEMPTS = 2
    settings.MAIL_RETRY_SECONDS = 0
    smtp_server.defer.update({"jordan@example.com", "ana@example.com"})
    lead = make_lead(email="jordan@example.com")
    make_subscriber("ana@example.com")
    make_post()

    tasks.send_lead_confirmation.call(lead.pk, 0)
    with pytest.raises(mail.EmailNotSent):
        tasks.send_lead_confirmation.call(lead.pk, 1)
    for _ in range(3):
        announcing.sweep()
        sending.send_batch()

    assert lead_retries().count() == 1  # after the first try, none after the second
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 2
    assert not SuppressedAddress.objects.exists()

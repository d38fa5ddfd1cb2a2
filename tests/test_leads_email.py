import logging
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from core.mail import EmailNotSent
from core.protections import started_token
from leads import tasks
from leads.models import Lead, Subscriber
from leads.models.lead import Interest

# The worker closes connections that are inside a transaction, as a test's
# would be, so these tests commit for real (and truncate afterwards).
pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
MESSAGE = "My private history: sertraline 100mg since 2019."
PHONE = "(415) 555-2671"


@pytest.fixture(autouse=True)
def _fast_forms(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = False
    settings.LEADS_NOTIFY_EMAILS = ["frontdesk@clinic.example", "nurse@clinic.example"]
    settings.SITE_URL = "https://clinic.example"


def submit_lead(client, **overrides):
    data = {
        "full_name": "Jordan Lee",
        "email": "jordan@example.com",
        "phone": PHONE,
        "preferred_contact_method": "phone",
        "interests": ["depression", "ptsd"],
        "message": MESSAGE,
        "consent": "on",
        "started": started_token(),
        **overrides,
    }
    response = client.post(reverse("leads:contact"), data)
    assert response.status_code == 302
    return Lead.objects.order_by("-pk").first()


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


def make_retries_due():
    """Let the clock reach every scheduled retry."""
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


def test_a_lead_gets_a_confirmation_and_staff_get_a_notification(client, smtp_server):
    lead = submit_lead(client)

    run_worker()

    assert len(smtp_server.messages) == 2
    [confirmation] = smtp_server.to("jordan@example.com")
    [notification] = smtp_server.to("frontdesk@clinic.example")
    assert "nurse@clinic.example" in notification["To"]
    assert "We received your request" in confirmation["Subject"]
    assert notification["Subject"] == "New consultation request"
    lead.refresh_from_db()
    assert lead.confirmation_sent_at is not None
    assert lead.notification_sent_at is not None


def test_the_confirmation_does_not_repeat_the_message(client, smtp_server):
    submit_lead(client)

    run_worker()

    [confirmation] = smtp_server.to("jordan@example.com")
    body = confirmation.as_string()
    assert "sertraline" not in body
    assert "within one business day" in text_of(confirmation)
    assert "988" in text_of(confirmation)
    assert confirmation["Reply-To"] == "care@harborlight.example"


def test_the_staff_notification_has_the_lead_number_and_admin_link_only(
    client, smtp_server
):
    lead = submit_lead(client)

    run_worker()

    [notification] = smtp_server.to("frontdesk@clinic.example")
    text = text_of(notification)
    assert f"Lead number: {lead.pk}" in text
    admin_url = f"https://clinic.example/admin/leads/lead/{lead.pk}/change/"
    assert admin_url in text
    assert f'href="{admin_url}"' in html_of(notification)
    raw = notification.as_string()
    for private in ("sertraline", "555-2671", "+14155552671", "jordan@example.com"):
        assert private not in raw


@pytest.mark.parametrize(
    ("message", "subject"),
    [
        (MESSAGE, "New consultation request"),
        ("I keep thinking about suicide.", "Urgent: New consultation request"),
    ],
    ids=["normal", "urgent"],
)
def test_the_staff_notification_names_no_person_and_no_condition(
    client, smtp_server, message, subject
):
    submit_lead(
        client,
        message=message,
        interests=["depression", "ptsd", "anxiety", "chronic_pain", "other"],
    )

    run_worker()

    [notification] = smtp_server.to("frontdesk@clinic.example")
    assert notification["Subject"] == subject
    everything = "\n".join(
        [notification["Subject"], text_of(notification), html_of(notification)]
    ).lower()
    for word in ["jordan", "lee", "suicide", "sertraline", "crisis"]:
        assert word not in everything
    for value, label in Interest.choices:
        assert value not in everything
        assert label.lower() not in everything


def test_an_urgent_lead_is_flagged_in_the_notification_subject_only(
    client, smtp_server
):
    submit_lead(client, message="I keep thinking about suicide.")

    run_worker()

    [notification] = smtp_server.to("frontdesk@clinic.example")
    assert notification["Subject"] == "Urgent: New consultation request"
    [confirmation] = smtp_server.to("jordan@example.com")
    assert "call or text 988" in text_of(confirmation)


def test_the_confirmation_repeats_nothing_the_person_wrote(client, smtp_server):
    submit_lead(
        client,
        full_name="Jordan Quill",
        best_time_to_reach="Weekday mornings",
        heard_about_us="Doctor or therapist",
        interests=["ptsd"],
    )

    run_worker()

    [confirmation] = smtp_server.to("jordan@example.com")
    everything = "\n".join(
        [confirmation["Subject"], text_of(confirmation), html_of(confirmation)]
    )
    for private in ["Jordan", "Quill", "sertraline", "555-2671", "Weekday", "Doctor"]:
        assert private not in everything
    assert "PTSD" not in everything


def test_a_spam_lead_sends_no_email(client, smtp_server):
    submit_lead(client, full_name="Visit http://spam.example")

    run_worker()

    assert smtp_server.messages == []


def test_emails_are_enqueued_in_the_same_transaction_as_the_lead(client):
    from leads.forms import ContactForm
    from leads.services import create_lead

    form = ContactForm(
        {
            "full_name": "Jordan Lee",
            "email": "jordan@example.com",
            "preferred_contact_method": "email",
            "consent": "on",
            "started": started_token(),
        }
    )
    assert form.is_valid()

    with pytest.raises(RuntimeError), transaction.atomic():
        create_lead(form.cleaned_data, {})
        assert DBTaskResult.objects.count() == 2
        raise RuntimeError("the request failed after saving")

    assert not Lead.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_with_the_mail_server_down_the_lead_is_saved_and_emailed_once_it_returns(
    client, smtp_server
):
    smtp_server.stop()

    lead = submit_lead(client)
    run_worker()

    lead.refresh_from_db()
    assert lead.confirmation_sent_at is None
    assert lead.notification_sent_at is None
    retries = DBTaskResult.objects.filter(status="READY")
    assert retries.count() == 2
    assert all(r.run_after > timezone.now() for r in retries)
    assert all(r.args_kwargs["args"] == [lead.pk, 1] for r in retries)

    smtp_server.start()
    make_retries_due()
    run_worker()

    lead.refresh_from_db()
    assert lead.confirmation_sent_at is not None
    assert lead.notification_sent_at is not None
    assert len(smtp_server.to("jordan@example.com")) == 1
    assert len(smtp_server.to("frontdesk@clinic.example")) == 1


def test_a_temporary_refusal_is_retried_with_growing_delays(client, smtp_server):
    smtp_server.defer.add("jordan@example.com")
    submit_lead(client)
    delays = []

    for _ in range(3):
        before = timezone.now()
        run_worker()
        retry = DBTaskResult.objects.get(
            status="READY", task_path="leads.tasks.send_lead_confirmation"
        )
        delays.append(round((retry.run_after - before).total_seconds() / 60))
        make_retries_due()

    assert delays == [1, 2, 4]


def test_retries_stop_after_the_limit_and_record_no_personal_data(
    client, smtp_server, caplog
):
    smtp_server.stop()
    lead = submit_lead(client)
    caplog.set_level(logging.INFO)

    for _ in range(settings.MAIL_MAX_ATTEMPTS):
        run_worker()
        make_retries_due()

    failed = DBTaskResult.objects.filter(status="FAILED")
    assert failed.count() == 2
    assert not DBTaskResult.objects.filter(status="READY").exists()
    for row in failed:
        assert row.exception_class_path == (
            f"{EmailNotSent.__module__}.{EmailNotSent.__qualname__}"
        )
        assert "jordan" not in row.traceback.lower()
    assert "jordan" not in caplog.text.lower()
    lead.refresh_from_db()
    assert lead.confirmation_sent_at is None


def test_the_sweep_resends_what_failed_for_good(client, smtp_server):
    smtp_server.stop()
    lead = submit_lead(client)
    for _ in range(settings.MAIL_MAX_ATTEMPTS):
        run_worker()
        make_retries_due()
    smtp_server.start()

    count = tasks.enqueue_unsent_emails(now=timezone.now() + timedelta(minutes=10))
    run_worker()

    assert count == 2
    lead.refresh_from_db()
    assert lead.confirmation_sent_at is not None
    assert lead.notification_sent_at is not None


def test_the_sweep_picks_up_a_task_whose_worker_died(client, smtp_server):
    lead = submit_lead(client)
    DBTaskResult.objects.update(
        status="RUNNING", started_at=timezone.now() - timedelta(hours=1)
    )

    tasks.enqueue_unsent_emails(now=timezone.now() + timedelta(minutes=10))
    run_worker()

    lead.refresh_from_db()
    assert lead.confirmation_sent_at is not None
    assert len(smtp_server.messages) == 2


def test_the_sweep_picks_up_a_lead_whose_task_row_was_lost(client, smtp_server):
    lead = submit_lead(client)
    DBTaskResult.objects.all().delete()

    call_command("send_pending_lead_emails", verbosity=0)
    tasks.enqueue_unsent_emails(now=timezone.now() + timedelta(minutes=10))
    run_worker()

    lead.refresh_from_db()
    assert lead.confirmation_sent_at is not None


def test_the_sweep_does_not_duplicate_emails_already_queued(client, smtp_server):
    submit_lead(client)

    count = tasks.enqueue_unsent_emails(now=timezone.now() + timedelta(minutes=10))
    run_worker()

    assert count == 0
    assert len(smtp_server.messages) == 2


def test_the_sweep_leaves_sent_spam_and_old_leads_alone(client, smtp_server):
    submit_lead(client)
    run_worker()
    submit_lead(client, email="spam@example.com", full_name="www.spam.example")
    old = submit_lead(client, email="old@example.com")
    DBTaskResult.objects.all().delete()
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))

    count = tasks.enqueue_unsent_emails(now=timezone.now() + timedelta(minutes=10))

    assert count == 0


def test_a_sent_email_is_never_sent_twice(client, smtp_server):
    lead = submit_lead(client)
    run_worker()

    tasks.send_lead_confirmation.enqueue(lead.pk)
    tasks.send_lead_notification.enqueue(lead.pk)
    run_worker()

    assert len(smtp_server.messages) == 2


def test_no_notification_is_owed_when_nobody_is_to_be_notified(
    client, smtp_server, settings
):
    settings.LEADS_NOTIFY_EMAILS = []
    lead = submit_lead(client)

    run_worker()
    count = tasks.enqueue_unsent_emails(now=timezone.now() + timedelta(minutes=10))

    assert count == 0
    assert [m["To"] for m in smtp_server.messages] == ["jordan@example.com"]
    lead.refresh_from_db()
    assert lead.notification_sent_at is None


def test_a_refused_subscriber_address_is_marked_bounced(client, smtp_server):
    smtp_server.refuse.add("gone@example.com")
    client.post(
        reverse("leads:subscribe"),
        {
            "email": "gone@example.com",
            "frequency": "every_post",
            "started": started_token(),
        },
    )

    run_worker()

    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.BOUNCED
    assert subscriber.bounced_at is not None
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_subscription_confirmation_is_retried_when_the_server_is_down(
    client, smtp_server
):
    smtp_server.stop()
    client.post(
        reverse("leads:subscribe"),
        {
            "email": "reader@example.com",
            "frequency": "weekly",
            "started": started_token(),
        },
    )
    run_worker()
    assert Subscriber.objects.get().confirmation_sent_at is None

    smtp_server.start()
    make_retries_due()
    run_worker()

    assert Subscriber.objects.get().confirmation_sent_at is not None
    [message] = smtp_server.messages
    assert "/subscribe/confirm/" in text_of(message)
    assert "weekly digest" in text_of(message)


def test_emails_are_sent_with_text_and_html_parts(client, smtp_server):
    submit_lead(client)

    run_worker()

    for message in smtp_server.messages:
        assert message.get_body(preferencelist=("plain",)) is not None
        assert message.get_body(preferencelist=("html",)) is not None


SUBMIT_LEAD = """
from django.test import Client
from core.protections import started_token
response = Client().post("/contact/", {
    "full_name": "Jordan Lee", "email": "jordan@example.com",
    "preferred_contact_method": "email", "consent": "on",
    "started": started_token(),
})
print(response.status_code, response["Location"])
"""

REPORT = """
from leads.models import Lead
lead = Lead.objects.get()
print(bool(lead.confirmation_sent_at), bool(lead.notification_sent_at))
"""

MAKE_RETRIES_DUE = """
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
"""


def test_with_email_port_closed_a_lead_from_another_process_is_emailed_later(
    request, smtp_server, tmp_path
):
    """The web request, the worker and the settings are separate processes
    configured only through the environment, as in production."""
    env = {
        **os.environ,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_TIMEOUT": "2",
        "PUBLIC_FORM_MIN_FILL_SECONDS": "0",
        "PUBLIC_FORM_RATE_LIMITS_ENABLED": "false",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        address = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}{password}@{address}/{db['NAME']}"
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'leads.sqlite3'}"
        manage(env, "migrate", "--no-input")
    smtp_server.stop()

    assert manage(env, "shell", "--no-imports", "-c", SUBMIT_LEAD).split() == [
        "302",
        "/contact/thanks/",
    ]
    manage(env, "db_worker", "--batch", "--no-startup-delay")
    assert manage(env, "shell", "--no-imports", "-c", REPORT).split() == [
        "False",
        "False",
    ]

    smtp_server.start()
    manage(env, "shell", "--no-imports", "-c", MAKE_RETRIES_DUE)
    manage(env, "db_worker", "--batch", "--no-startup-delay")

    assert manage(env, "shell", "--no-imports", "-c", REPORT).split() == [
        "True",
        "True",
    ]
    assert len(smtp_server.to("jordan@example.com")) == 1
    assert len(smtp_server.to("frontdesk@clinic.example")) == 1


def manage(env, *args):
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout

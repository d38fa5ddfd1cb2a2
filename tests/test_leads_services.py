"""Recording a lead and a sign-up: one service each, whatever the caller."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from core.protections import started_token
from leads import tasks
from leads.forms import CONSENT_TEXT, CONSENT_VERSION, ContactForm
from leads.models import BlockedDomain, Lead, Subscriber
from leads.services import create_lead, mentions_crisis, sign_up

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_fill_time(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0


def valid_request(**overrides):
    data = {
        "full_name": "Jordan Lee",
        "email": "jordan@example.com",
        "preferred_contact_method": "email",
        "message": "I would like to know more.",
        "consent": "on",
        "started": started_token(),
        **overrides,
    }
    form = ContactForm(data)
    assert form.is_valid(), form.errors
    return form.cleaned_data


def sign_up_data(email="reader@example.com", **overrides):
    return {
        "email": email,
        "first_name": "Robin",
        "frequency": "every_post",
        "source_path": "/blog/",
        **overrides,
    }


def test_a_lead_records_the_consent_wording_and_its_version():
    lead = create_lead(valid_request(), {})

    assert lead.consent_text == CONSENT_TEXT
    assert lead.consent_version == CONSENT_VERSION
    assert lead.consented_at is not None


def test_a_name_with_a_link_files_the_lead_as_spam():
    lead = create_lead(valid_request(full_name="Cheap pills https://pills.example"), {})

    assert lead.status == Lead.Status.SPAM


def test_a_blocked_email_domain_files_the_lead_as_spam():
    BlockedDomain.objects.create(domain="mailinator.com")

    lead = create_lead(valid_request(email="someone@Sub.Mailinator.com"), {})

    assert lead.status == Lead.Status.SPAM


def test_an_ordinary_request_is_filed_as_new_with_its_two_emails_queued():
    lead = create_lead(valid_request(), {})

    assert lead.status == Lead.Status.NEW
    assert sorted(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "leads.tasks.send_lead_confirmation",
        "leads.tasks.send_lead_notification",
    ]


def test_a_crisis_message_marks_the_lead_urgent():
    lead = create_lead(valid_request(message="I have been thinking about suicide"), {})

    assert lead.is_urgent


def test_attribution_is_copied_onto_the_lead():
    attribution = {"landing_page": "/blog/", "utm_source": "newsletter"}

    lead = create_lead(valid_request(), attribution)

    assert lead.landing_page == "/blog/"
    assert lead.utm_source == "newsletter"


@pytest.mark.parametrize(
    "message",
    [
        "Some days I think about suicide.",
        "I want to kill myself",
        "I feel like I should end my life",
        "I took an overdose last year",
        "Honestly I don’t want to live anymore",
        "I keep hurting myself",
    ],
)
def test_crisis_language_is_recognised(message):
    assert mentions_crisis(message)


@pytest.mark.parametrize(
    "message",
    [
        "My back pain is killing me",
        "I want to end my treatment plan",
        "Skill myself up",
    ],
)
def test_everyday_language_is_not_mistaken_for_crisis(message):
    assert not mentions_crisis(message)


def sign_up_steps(email):
    """The statements a sign-up runs; a new row's INSERT and a known row's
    UPDATE are both one write."""
    with CaptureQueriesContext(connection) as queries:
        sign_up(sign_up_data(email))
    kinds = [query["sql"].split()[0] for query in queries.captured_queries]
    return ["WRITE" if kind in {"INSERT", "UPDATE"} else kind for kind in kinds]


def test_a_sign_up_takes_the_same_steps_whether_or_not_the_address_is_known():
    Subscriber.objects.create(
        email="confirmed@example.com", status=Subscriber.Status.CONFIRMED
    )
    Subscriber.objects.create(email="pending@example.com")

    steps = {
        email: sign_up_steps(email)
        for email in ["new@example.com", "confirmed@example.com", "pending@example.com"]
    }

    assert steps["new@example.com"] == steps["confirmed@example.com"]
    assert steps["new@example.com"] == steps["pending@example.com"]


def test_every_sign_up_queues_exactly_one_task():
    Subscriber.objects.create(
        email="confirmed@example.com", status=Subscriber.Status.CONFIRMED
    )

    sign_up(sign_up_data("new@example.com"))
    sign_up(sign_up_data("confirmed@example.com"))

    assert DBTaskResult.objects.count() == 2


def test_signing_up_a_confirmed_address_changes_nothing_about_it():
    subscriber = Subscriber.objects.create(
        email="reader@example.com",
        status=Subscriber.Status.CONFIRMED,
        frequency=Subscriber.Frequency.WEEKLY,
    )

    sign_up(sign_up_data(first_name="Mallory", frequency="every_post"))

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.frequency == Subscriber.Frequency.WEEKLY
    assert subscriber.first_name == ""


def test_the_task_for_a_confirmed_address_sends_nothing(mailoutbox):
    subscriber = Subscriber.objects.create(
        email="reader@example.com", status=Subscriber.Status.CONFIRMED
    )

    result = tasks.send_subscription_confirmation.call(subscriber.pk)

    assert result == "nothing to send"
    assert mailoutbox == []


def test_a_new_sign_up_is_pending_with_its_consent():
    sign_up(sign_up_data())

    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.consented_at is not None
    assert subscriber.source_path == "/blog/"

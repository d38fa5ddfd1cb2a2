import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from core.protections import started_token
from leads.models import Subscriber

# The worker closes connections that are inside a transaction, as a test's
# would be, so these tests commit for real (and truncate afterwards).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_fill_time(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0


def sign_up(client, email="reader@example.com", **overrides):
    data = {
        "email": email,
        "first_name": "Robin",
        "frequency": "every_post",
        "source_path": "/blog/how-ketamine-works/",
        "website": "",
        "started": started_token(),
        **overrides,
    }
    return client.post(reverse("leads:subscribe"), data)


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def link_in(message, name):
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https://clinic\.example(/\S+)", text).group(1)


def test_sign_up_sends_confirmation_email_through_smtp(client, smtp_server):
    response = sign_up(client)
    run_worker()

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:subscribe_thanks")
    [message] = smtp_server.messages
    assert message["To"] == "reader@example.com"
    assert (
        "/subscribe/confirm/"
        in message.get_body(preferencelist=("plain",)).get_content()
    )
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.confirmation_sent_at is not None


def test_double_opt_in_and_one_click_unsubscribe(client, smtp_server):
    sign_up(client)
    run_worker()
    confirm_path = link_in(smtp_server.messages[0], "confirm")

    page = client.get(confirm_path)
    assert "Confirm my subscription" in page.text
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING
    client.post(confirm_path)
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.CONFIRMED

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        subscriber.get_unsubscribe_url().removeprefix("https://clinic.example"),
        {"List-Unsubscribe": "One-Click"},
    )

    assert response.status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED

"""Bounce and complaint webhooks (issue 11): each provider's documented
payloads, through anymail's views at /email/webhooks/<esp>/tracking/."""

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail as django_mail
from django.urls import reverse
from django.utils import timezone

from blog.models import Author, Post
from core import mail
from core.models import SuppressedAddress
from leads.models import Subscriber
from newsletter import sending
from newsletter.models import Delivery, PostAnnouncement

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).parent / "payloads"
SECRET = "webhook-user:webhook-password-0123456789"
SIGNING_KEY = "TEST_WEBHOOK_SIGNING_KEY"


def payload(name):
    return json.loads((PAYLOADS / f"{name}.json").read_text())


def auth(secret=SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


@pytest.fixture(autouse=True)
def webhook_settings(settings):
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY,
        "AMAZON_SES_AUTO_CONFIRM_SNS_SUBSCRIPTIONS": False,
    }


def sent_mailing(*emails, post=None):
    """A post announced and sent to a confirmed subscriber at each address."""
    author, _ = Author.objects.get_or_create(
        slug="team", defaults={"display_name": "T"}
    )
    post = post or Post.objects.create(
        title="Ketamine and sleep",
        slug=f"ketamine-and-sleep-{Post.objects.count()}",
        summary="Summary.",
        body="Body.",
        author=author,
        status=Post.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(minutes=5),
    )
    PostAnnouncement.objects.get_or_create(
        post=post, defaults={"recipients_listed_at": timezone.now()}
    )
    subscribers = Subscriber.objects.bulk_create(
        Subscriber(email=email, status=Subscriber.Status.CONFIRMED) for email in emails
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            post=post,
            subscriber=subscriber,
            status=Delivery.Status.SENT,
            sent_at=timezone.now(),
        )
        for subscriber in subscribers
    )
    return post, deliveries


def post_postmark(client, body, **extra):
    return client.post(
        "/email/webhooks/postmark/tracking/",
        data=json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        **extra,
    )


def post_sns(client, ses_event, **extra):
    """Amazon SES posts its notification inside an SNS envelope, as text."""
    envelope = {
        "Type": "Notification",
        "MessageId": "19ba9823-d7f2-53c1-860e-cb10e0d13dfc",
        "TopicArn": "arn:aws:sns:us-east-1:1234567890:SES_Events",
        "Subject": "Amazon SES Email Event Notification",
        "Message": json.dumps(ses_event) + "\n",
        "Timestamp": "2018-03-26T17:58:59.675Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE-SIGNATURE==",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/"
        "SimpleNotificationService-12345abcde.pem",
    }
    return client.post(
        "/email/webhooks/amazon_ses/tracking/",
        data=json.dumps(envelope),
        content_type="text/plain; charset=UTF-8",
        headers={
            "x-amz-sns-message-id": envelope["MessageId"],
            "x-amz-sns-message-type": "Notification",
        },
        **extra,
    )


def mailgun_signed(body, key=SIGNING_KEY):
    token, stamp = "1234567890abcdef1234567890abcdef", "1534110422"
    signature = hmac.new(key.encode(), f"{stamp}{token}".encode(), hashlib.sha256)
    body["signature"] = {
        "token": token,
        "timestamp": stamp,
        "signature": signature.hexdigest(),
    }
    return body


def post_mailgun(client, body, **extra):
    return client.post(
        "/email/webhooks/mailgun/tracking/",
        data=json.dumps(body),
        content_type="application/json",
        **extra,
    )


# --- Hard bounces ------------------------------------------------------------


def test_postmark_hard_bounce_marks_the_subscriber_bounced_and_suppresses(client):
    _, [delivery] = sent_mailing("bounce@example.com")

    response = post_postmark(client, payload("postmark_bounce"), **auth())

    assert response.status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.BOUNCED
    assert mail.suppressed(["bounce@example.com"]) == {"bounce@example.com"}
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.BOUNCED
    assert delivery.bounced_at is not None


def test_ses_permanent_bounce_through_sns_suppresses_the_address(client):
    sent_mailing("jane@example.com", "mary@example.com")

    response = post_sns(client, payload("ses_bounce"), **auth())

    assert response.status_code == 200
    jane = Subscriber.objects.get(email="jane@example.com")
    assert jane.status == Subscriber.Status.BOUNCED
    assert Subscriber.objects.get(email="mary@example.com").status == "confirmed"
    assert SuppressedAddress.objects.get().reason == "bounced"


def test_mailgun_permanent_failure_suppresses_the_address(client):
    sent_mailing("invalid@example.com")

    body = mailgun_signed(payload("mailgun_failed_permanent"))
    response = post_mailgun(client, body, **auth())

    assert response.status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.BOUNCED
    assert mail.suppressed(["invalid@example.com"])


def test_bounced_address_gets_no_other_email_of_the_site(client, smtp_server):
    sent_mailing("bounce@example.com")
    post_postmark(client, payload("postmark_bounce"), **auth())
    message = mail.build_email(
        "leads/lead_confirmation",
        subject="We received your request",
        to=["bounce@example.com"],
        context={"is_urgent": False},
    )

    result = mail.send(message)

    assert result.outcome == mail.Outcome.SKIPPED
    assert smtp_server.messages == []


# --- Complaints ----------------------------------------------------------------


def test_postmark_complaint_unsubscribes_and_records_why(client):
    _, [delivery] = sent_mailing("spam@example.com")

    response = post_postmark(client, payload("postmark_spam_complaint"), **auth())

    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_reason == Subscriber.UnsubscribeReason.COMPLAINT
    assert SuppressedAddress.objects.get().reason == "complained"
    delivery.refresh_from_db()
    assert delivery.complained_at is not None


def test_ses_complaint_unsubscribes_the_reader(client):
    sent_mailing("richard@example.com")

    response = post_sns(client, payload("ses_complaint"), **auth())

    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.unsubscribe_reason == Subscriber.UnsubscribeReason.COMPLAINT


def test_mailgun_complaint_unsubscribes_the_reader(client):
    sent_mailing("recipient@example.com")

    body = mailgun_signed(payload("mailgun_complained"))
    response = post_mailgun(client, body, **auth())

    assert response.status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.UNSUBSCRIBED


def test_complaint_names_the_delivery_its_message_carried(client):
    post, [first] = sent_mailing("spam@example.com")
    later_post, _ = sent_mailing(post=None)
    later = Delivery.objects.create(
        post=later_post,
        subscriber=first.subscriber,
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
    )
    body = {**payload("postmark_spam_complaint"), "Metadata": {"delivery": first.pk}}

    post_postmark(client, body, **auth())

    first.refresh_from_db()
    later.refresh_from_db()
    assert first.complained_at is not None
    assert later.complained_at is None


def test_complaints_above_three_in_a_thousand_pause_the_rest_of_the_mailing(client):
    post, _ = sent_mailing(*[f"reader{n}@example.com" for n in range(1000)])
    waiting = Delivery.objects.create(
        post=post,
        subscriber=Subscriber.objects.create(
            email="waiting@example.com", status=Subscriber.Status.CONFIRMED
        ),
    )
    body = payload("postmark_spam_complaint")
    for number in range(3):
        post_postmark(
            client, {**body, "Email": f"reader{number}@example.com"}, **auth()
        )
    paused_at_the_limit = PostAnnouncement.objects.get().paused_at

    post_postmark(client, {**body, "Email": "reader3@example.com"}, **auth())

    announcement = PostAnnouncement.objects.get()
    assert paused_at_the_limit is None
    assert announcement.paused_at is not None
    assert "4 spam complaints out of 1,000" in announcement.paused_reason
    assert not Delivery.objects.claimable().filter(pk=waiting.pk).exists()


def test_replayed_complaint_is_counted_once(client):
    post, _ = sent_mailing(*[f"reader{n}@example.com" for n in range(1000)])
    body = {**payload("postmark_spam_complaint"), "Email": "reader7@example.com"}

    for _ in range(3):
        response = post_postmark(client, body, **auth())
        assert response.status_code == 200

    assert Delivery.objects.filter(complained_at__isnull=False).count() == 1
    assert PostAnnouncement.objects.get().paused_at is None
    assert SuppressedAddress.objects.count() == 1


def test_event_for_an_unknown_address_is_accepted_and_only_suppresses_it(client):
    sent_mailing("someone@example.com")

    response = post_postmark(client, payload("postmark_bounce"), **auth())

    assert response.status_code == 200
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED
    assert mail.suppressed(["bounce@example.com"])


# --- Bad requests ----------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "webhook-user:wrong"])
def test_webhook_without_valid_credentials_is_refused_and_changes_nothing(
    client, secret
):
    sent_mailing("bounce@example.com")
    extra = auth(secret) if secret else {}

    response = post_postmark(client, payload("postmark_bounce"), **extra)

    assert 400 <= response.status_code < 500
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED
    assert not SuppressedAddress.objects.exists()


def test_ses_webhook_without_credentials_asks_for_them(client):
    response = post_sns(client, payload("ses_bounce"))

    assert response.status_code == 401
    assert not SuppressedAddress.objects.exists()


def test_mailgun_webhook_with_a_wrong_signature_is_refused(client):
    sent_mailing("invalid@example.com")
    body = mailgun_signed(payload("mailgun_failed_permanent"), key="not-the-key")

    response = post_mailgun(client, body, **auth())

    assert response.status_code == 400
    assert not SuppressedAddress.objects.exists()


@pytest.mark.parametrize(
    "body", ["this is not json", "[1, 2", "[]", '"text"', "\xff\xfe"]
)
def test_malformed_postmark_body_is_a_bad_request(client, body):
    response = post_postmark(client, body, **auth())

    assert response.status_code == 400
    assert not SuppressedAddress.objects.exists()


@pytest.mark.parametrize("message", ["not json", "[]", '{"notificationType": 1}'])
def test_malformed_ses_notification_is_a_bad_request(client, message):
    response = client.post(
        "/email/webhooks/amazon_ses/tracking/",
        data=json.dumps({"Type": "Notification", "MessageId": "1", "Message": message}),
        content_type="text/plain",
        headers={"x-amz-sns-message-type": "Notification"},
        **auth(),
    )

    assert 400 <= response.status_code < 500


def test_ses_subscription_confirmation_is_not_fetched_from_aws(client):
    envelope = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37f...",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Message": "You have chosen to subscribe to the topic.",
        "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription",
        "Timestamp": "2012-04-26T20:45:04.751Z",
    }

    response = client.post(
        "/email/webhooks/amazon_ses/tracking/",
        data=json.dumps(envelope),
        content_type="text/plain",
        headers={
            "x-amz-sns-message-id": envelope["MessageId"],
            "x-amz-sns-message-type": "SubscriptionConfirmation",
        },
        **auth(),
    )

    assert response.status_code == 200


def test_webhooks_are_refused_while_no_secret_is_set(client, settings):
    settings.ANYMAIL = {}
    sent_mailing("bounce@example.com")

    response = post_postmark(client, payload("postmark_bounce"))

    assert response.status_code == 403
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_messages_carry_their_delivery_number_for_the_provider(settings):
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    post, _ = sent_mailing()
    subscriber = Subscriber.objects.create(
        email="reader@example.com", status=Subscriber.Status.CONFIRMED
    )
    delivery = Delivery.objects.create(post=post, subscriber=subscriber)

    sending.send_batch()

    [message] = django_mail.outbox
    assert message.anymail_test_params["metadata"] == {"delivery": str(delivery.pk)}
    assert message.anymail_test_params["tags"] == ["newsletter"]
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_mailing_admin_shows_complaints_and_why_it_paused(client, admin_client):
    sent_mailing(*[f"reader{n}@example.com" for n in range(100)])
    body = payload("postmark_spam_complaint")
    post_postmark(client, {**body, "Email": "reader5@example.com"}, **auth())

    response = admin_client.get(reverse("admin:newsletter_postmailing_changelist"))

    page = response.content.decode()
    assert "Paused: 1 spam complaints out of 100 emails sent (1.00%)" in page
    assert '<td class="field-complaints">1</td>' in page


def test_resuming_a_paused_mailing_lets_the_rest_go(client, admin_client):
    post, _ = sent_mailing(*[f"reader{n}@example.com" for n in range(10)])
    body = payload("postmark_spam_complaint")
    post_postmark(client, {**body, "Email": "reader1@example.com"}, **auth())

    admin_client.post(
        reverse("admin:newsletter_postmailing_changelist"),
        {"action": "resume_paused_mailings", "_selected_action": [post.pk]},
    )

    assert PostAnnouncement.objects.get().paused_at is None

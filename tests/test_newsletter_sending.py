"""Blog updates by email (issue 6): each new post reaches each subscriber once."""

import contextlib
import io
import smtplib
import time as clock
from datetime import datetime, time, timedelta
from itertools import count

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from PIL import Image

from blog.models import Author, Post
from core import mail
from core.models import ClinicProfile
from leads.models import Subscriber
from newsletter import announcing, emails, sending
from newsletter.models import Delivery, DigestRun, PostAnnouncement

pytestmark = pytest.mark.django_db

_numbers = count(1)


def make_post(**overrides):
    """A post that went public a minute ago, meant to be emailed."""
    number = next(_numbers)
    author, _ = Author.objects.get_or_create(
        slug="clinical-team",
        defaults={"display_name": "Clinical Team", "is_team": True},
    )
    fields = {
        "title": f"What a course of ketamine treatment looks like {number}",
        "slug": f"course-of-treatment-{number}",
        "summary": "Six sessions over two to three weeks, and what happens in each.",
        "body": "The first session starts with a check of your blood pressure.",
        "author": author,
        "status": Post.Status.PUBLISHED,
        "published_at": timezone.now() - timedelta(minutes=1),
    }
    fields.update(overrides)
    return Post.objects.create(**fields)


def make_subscriber(email, **overrides):
    fields = {
        "email": email,
        "status": Subscriber.Status.CONFIRMED,
        "frequency": Subscriber.Frequency.EVERY_POST,
    }
    fields.update(overrides)
    return Subscriber.objects.create(**fields)


def png_upload(name="hero.png", size=(40, 20)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def deliver_everything():
    """One round of what the worker does, without the task queue: sweep, then
    send batches until nothing is left or something has to wait for a retry."""
    announcing.sweep()
    while True:
        result = sending.send_batch()
        if not result.claimed or {"retry", "disconnected"} & set(result.counts):
            break


def html_part(message):
    return message.get_body(preferencelist=("html",)).get_content()


def text_part(message):
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.fixture
def fast_retries(settings):
    settings.MAIL_RETRY_SECONDS = 0
    settings.MAIL_MAX_ATTEMPTS = 3


# --- Who gets a post ---------------------------------------------------------


def test_new_post_is_sent_to_each_confirmed_every_post_subscriber_only(smtp_server):
    make_subscriber("ana@example.com")
    make_subscriber("ben@example.com")
    make_subscriber("pending@example.com", status=Subscriber.Status.PENDING)
    make_subscriber("left@example.com", status=Subscriber.Status.UNSUBSCRIBED)
    make_subscriber("gone@example.com", status=Subscriber.Status.BOUNCED)
    make_subscriber("weekly@example.com", frequency=Subscriber.Frequency.WEEKLY)
    make_post()

    deliver_everything()

    recipients = sorted(r for _, rcpts in smtp_server.envelopes for r in rcpts)
    assert recipients == ["ana@example.com", "ben@example.com"]


def test_post_with_emailing_turned_off_is_not_sent(smtp_server):
    make_subscriber("ana@example.com")
    make_post(notify_subscribers=False)

    deliver_everything()

    assert smtp_server.messages == []


def test_draft_is_not_sent(smtp_server):
    make_subscriber("ana@example.com")
    make_post(status=Post.Status.DRAFT, published_at=None)

    deliver_everything()

    assert smtp_server.messages == []


def test_scheduled_post_is_sent_once_its_time_has_come(smtp_server):
    make_subscriber("ana@example.com")
    post = make_post(
        status=Post.Status.SCHEDULED, published_at=timezone.now() + timedelta(hours=1)
    )
    deliver_everything()
    assert smtp_server.messages == []

    Post.objects.filter(pk=post.pk).update(
        published_at=timezone.now() - timedelta(seconds=1)
    )
    deliver_everything()

    assert len(smtp_server.to("ana@example.com")) == 1


def test_post_that_went_public_long_ago_is_never_sent(smtp_server, settings):
    settings.NEWSLETTER_ANNOUNCE_WITHIN_HOURS = 72
    make_subscriber("ana@example.com")
    make_post(published_at=timezone.now() - timedelta(days=30))

    deliver_everything()

    assert smtp_server.messages == []


def test_editing_unpublishing_and_republishing_never_sends_again(smtp_server):
    make_subscriber("ana@example.com")
    post = make_post()
    deliver_everything()

    post.title = "A corrected title"
    post.save()
    deliver_everything()
    post.status = Post.Status.DRAFT
    post.save()
    deliver_everything()
    post.status = Post.Status.PUBLISHED
    post.published_at = timezone.now()
    post.save()
    deliver_everything()

    assert len(smtp_server.messages) == 1


def test_subscriber_who_confirms_after_a_post_went_out_does_not_get_it(smtp_server):
    make_subscriber("ana@example.com")
    make_post()
    deliver_everything()

    make_subscriber("late@example.com")
    deliver_everything()

    assert smtp_server.to("late@example.com") == []


def test_sweeping_twice_queues_one_delivery_per_subscriber():
    make_subscriber("ana@example.com")
    post = make_post()

    announcing.sweep()
    announcing.sweep()

    assert Delivery.objects.filter(post=post).count() == 1
    assert PostAnnouncement.objects.filter(post=post).count() == 1


def test_subscriber_who_unsubscribes_during_a_send_gets_nothing_more(smtp_server):
    ana = make_subscriber("ana@example.com")
    make_subscriber("ben@example.com")
    make_post()
    announcing.sweep()

    ana.unsubscribe()
    while sending.send_batch().claimed:
        pass

    assert smtp_server.to("ana@example.com") == []
    assert len(smtp_server.to("ben@example.com")) == 1
    assert Delivery.objects.get(subscriber=ana).status == Delivery.Status.SKIPPED


def test_unpublishing_a_post_mid_send_holds_the_rest_until_it_is_public_again(
    smtp_server,
):
    make_subscriber("ana@example.com")
    post = make_post()
    announcing.sweep()

    Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT)
    while sending.send_batch().claimed:
        pass
    assert smtp_server.messages == []

    Post.objects.filter(pk=post.pk).update(status=Post.Status.PUBLISHED)
    deliver_everything()

    assert len(smtp_server.to("ana@example.com")) == 1


# --- What the email looks like -----------------------------------------------


def test_post_email_has_title_as_subject_and_one_click_unsubscribe_headers(
    smtp_server,
):
    ana = make_subscriber("ana@example.com")
    make_post(title="How ketamine works in the brain")

    deliver_everything()

    [message] = smtp_server.messages
    assert message["Subject"] == "How ketamine works in the brain"
    assert message["List-Unsubscribe"] == f"<{ana.get_unsubscribe_url()}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert ana.get_unsubscribe_url().startswith("https://clinic.example/")


def test_each_delivery_keeps_one_message_id_so_a_resend_can_be_dropped(smtp_server):
    make_subscriber("ana@example.com")
    make_post()

    deliver_everything()

    [message] = smtp_server.messages
    delivery = Delivery.objects.get()
    assert (
        message["Message-ID"] == f"<newsletter-delivery-{delivery.pk}@clinic.example>"
    )
    assert (
        emails.MessageBuilder().build(delivery).message()["Message-ID"]
        == (message["Message-ID"])
    )


def test_post_email_has_summary_link_clinic_address_reason_and_unsubscribe_link(
    smtp_server,
):
    ana = make_subscriber("ana@example.com", first_name="Ana")
    post = make_post(summary="Ketamine acts on glutamate, not serotonin.")
    clinic = ClinicProfile.current()

    deliver_everything()

    [message] = smtp_server.messages
    post_url = "https://clinic.example" + post.get_absolute_url()
    for body in (html_part(message), text_part(message)):
        assert "Ketamine acts on glutamate, not serotonin." in body
        assert post_url in body
        assert clinic.name in body
        assert clinic.street_address in body
        assert clinic.postcode in body
        assert "You are receiving this email because ana@example.com subscribed" in body
        assert ana.get_unsubscribe_url() in body
        assert "Ana" in body
    assert "Read the full post" in html_part(message)


def test_post_email_shows_the_hero_image_with_its_alt_text(
    smtp_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    make_subscriber("ana@example.com")
    make_post(hero_image=png_upload(), hero_image_alt="A calm treatment room")

    deliver_everything()

    html = html_part(smtp_server.messages[0])
    assert 'src="https://clinic.example/media/blog/heroes/hero' in html
    assert 'alt="A calm treatment room"' in html


def test_post_without_summary_or_image_still_makes_a_complete_email(smtp_server):
    make_subscriber("ana@example.com")
    make_post(summary="", hero_image="")

    deliver_everything()

    [message] = smtp_server.messages
    html = html_part(message)
    assert "<img" not in html
    assert "We have published a new article on our blog." in html
    assert "Read the full post" in html
    assert "Read the full post: https://clinic.example/blog/" in text_part(message)


def test_title_with_line_breaks_cannot_inject_headers(smtp_server):
    make_subscriber("ana@example.com")
    make_post(title="Hello\r\nBcc: victim@example.com\nX-Evil: yes")

    deliver_everything()

    [message] = smtp_server.messages
    assert message["Subject"] == "Hello Bcc: victim@example.com X-Evil: yes"
    assert message["Bcc"] is None
    assert message["X-Evil"] is None
    assert smtp_server.envelopes[0][1] == ["ana@example.com"]


def test_first_name_with_markup_is_escaped_in_the_html(smtp_server):
    make_subscriber("ana@example.com", first_name="<b>Ana</b>")
    make_post()

    deliver_everything()

    html = html_part(smtp_server.messages[0])
    assert "<b>Ana</b>" not in html
    assert "&lt;b&gt;Ana&lt;/b&gt;" in html


# --- Failures ------------------------------------------------------------------


@pytest.mark.parametrize("pipelining", [False, True])
def test_refused_address_does_not_stop_the_batch_and_is_marked_bounced(
    smtp_server, pipelining
):
    smtp_server.pipelining = pipelining
    make_subscriber("ana@example.com")
    gone = make_subscriber("gone@example.com")
    make_subscriber("ben@example.com")
    smtp_server.refuse.add("gone@example.com")
    make_post()

    deliver_everything()

    assert sorted(r for _, rcpts in smtp_server.envelopes for r in rcpts) == [
        "ana@example.com",
        "ben@example.com",
    ]
    gone.refresh_from_db()
    assert gone.status == Subscriber.Status.BOUNCED
    assert gone.bounced_at is not None
    assert Delivery.objects.get(subscriber=gone).status == Delivery.Status.BOUNCED


def test_a_relay_refusing_every_reader_on_policy_grounds_bounces_no_one(smtp_server):
    ana = make_subscriber("ana@example.com")
    make_subscriber("ben@example.com")
    make_post()

    async def denies_relaying(server, session, envelope, address, rcpt_options):
        return f"554 5.7.1 <{address}>: Relay access denied"

    smtp_server.handle_RCPT = denies_relaying
    deliver_everything()

    ana.refresh_from_db()
    assert ana.status == Subscriber.Status.CONFIRMED
    assert not mail.suppressed(["ana@example.com", "ben@example.com"])
    assert set(Delivery.objects.values_list("status", flat=True)) == {"failed"}
    assert "Relay access denied" in Delivery.objects.first().last_error


def test_bounced_subscriber_gets_no_later_posts(smtp_server):
    make_subscriber("gone@example.com")
    smtp_server.refuse.add("gone@example.com")
    make_post()
    deliver_everything()
    smtp_server.refuse.clear()

    make_post()
    deliver_everything()

    assert smtp_server.messages == []


@pytest.mark.parametrize("pipelining", [False, True])
def test_temporary_failure_is_retried_and_then_sent(
    smtp_server, fast_retries, pipelining
):
    smtp_server.pipelining = pipelining
    make_subscriber("ana@example.com")
    smtp_server.defer.add("ana@example.com")
    make_post()
    deliver_everything()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.attempts == 1
    assert "451" in delivery.last_error

    smtp_server.defer.clear()
    deliver_everything()

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT
    assert len(smtp_server.to("ana@example.com")) == 1


def test_temporary_failure_waits_for_its_backoff_before_retrying(smtp_server, settings):
    settings.MAIL_RETRY_SECONDS = 300
    make_subscriber("ana@example.com")
    smtp_server.defer.add("ana@example.com")
    make_post()
    deliver_everything()
    smtp_server.defer.clear()

    deliver_everything()

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.QUEUED
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=200)
    assert smtp_server.messages == []


def test_temporary_failures_stop_after_the_last_attempt_and_show_as_failed(
    smtp_server, fast_retries
):
    ana = make_subscriber("ana@example.com")
    smtp_server.defer.add("ana@example.com")
    make_post()

    for _ in range(5):
        deliver_everything()

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 3
    ana.refresh_from_db()
    assert ana.status == Subscriber.Status.CONFIRMED


def test_unreachable_mail_server_keeps_deliveries_for_later(smtp_server, fast_retries):
    make_subscriber("ana@example.com")
    make_subscriber("ben@example.com")
    make_post()
    smtp_server.stop()

    deliver_everything()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"queued"}

    smtp_server.start()
    deliver_everything()

    assert len(smtp_server.messages) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_failed_deliveries_can_be_retried(smtp_server, fast_retries):
    make_subscriber("ana@example.com")
    smtp_server.defer.add("ana@example.com")
    make_post()
    for _ in range(3):
        deliver_everything()
    smtp_server.defer.clear()

    announcing.retry_failed(Delivery.objects.all())
    deliver_everything()

    assert Delivery.objects.get().status == Delivery.Status.SENT
    assert len(smtp_server.messages) == 1


# --- Claims and crashed workers --------------------------------------------------


def test_rows_claimed_by_one_batch_are_not_claimed_by_another():
    for number in range(5):
        make_subscriber(f"reader{number}@example.com")
    make_post()
    announcing.sweep()

    first = sending.claim_batch("first", 3)
    second = sending.claim_batch("second", 10)
    third = sending.claim_batch("third", 10)

    assert (first, second, third) == (3, 2, 0)
    first_ids = set(Delivery.objects.filter(claimed_by="first").values_list("pk"))
    second_ids = set(Delivery.objects.filter(claimed_by="second").values_list("pk"))
    assert not first_ids & second_ids


def test_batch_abandoned_by_a_dead_worker_is_sent_once_after_the_claim_timeout(
    smtp_server, settings
):
    settings.NEWSLETTER_CLAIM_TIMEOUT = 600
    for number in range(4):
        make_subscriber(f"reader{number}@example.com")
    make_post()
    announcing.sweep()
    sending.claim_batch("dead-worker", 2)  # the worker dies before sending
    deliver_everything()
    assert len(smtp_server.messages) == 2

    Delivery.objects.filter(claimed_by="dead-worker").update(
        claimed_at=timezone.now() - timedelta(seconds=601)
    )
    deliver_everything()

    recipients = sorted(r for _, rcpts in smtp_server.envelopes for r in rcpts)
    assert recipients == [f"reader{number}@example.com" for number in range(4)]


def test_delivery_whose_worker_always_dies_is_given_up_as_failed(settings):
    settings.NEWSLETTER_CLAIM_TIMEOUT = 0
    settings.MAIL_MAX_ATTEMPTS = 2
    make_subscriber("ana@example.com")
    make_post()
    announcing.sweep()

    for number in range(3):
        now = timezone.now() + timedelta(seconds=number + 1)
        sending.claim_batch(f"doomed-{number}", 10, now=now)
    announcing.sweep(timezone.now() + timedelta(seconds=10))

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 2


# --- The real worker -----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_worker_sends_a_published_post_once_to_each_subscriber(smtp_server):
    for number in range(7):
        make_subscriber(f"reader{number}@example.com")
    make_subscriber("pending@example.com", status=Subscriber.Status.PENDING)
    make_post()

    call_command("run_worker", "--batch", verbosity=0)
    call_command("run_worker", "--batch", verbosity=0)

    recipients = sorted(r for _, rcpts in smtp_server.envelopes for r in rcpts)
    assert recipients == [f"reader{number}@example.com" for number in range(7)]
    assert all(m["List-Unsubscribe-Post"] for m in smtp_server.messages)


class WorkerKilled(BaseException):
    """Escapes every handler, like the signal that kills a worker process."""


@contextlib.contextmanager
def before_each_message_data(call):
    """Run ``call(number)`` right before each email's data goes to the mail
    server, numbered from 0."""
    send = smtplib.SMTP.send
    numbers = count()

    def sends(self, payload):
        if isinstance(payload, bytes) and payload.endswith(b"\r\n.\r\n"):
            call(next(numbers))
        return send(self, payload)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(smtplib.SMTP, "send", sends)
        yield


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("pipelining", [False, True])
def test_worker_restarted_after_dying_mid_batch_sends_each_email_exactly_once(
    smtp_server, settings, pipelining
):
    smtp_server.pipelining = pipelining
    settings.NEWSLETTER_CLAIM_TIMEOUT = 1
    for number in range(8):
        make_subscriber(f"reader{number}@example.com")
    make_post()

    def dies_at_the_fourth_message(number):
        if number == 3:
            raise WorkerKilled

    with before_each_message_data(dies_at_the_fourth_message):
        call_command("run_worker", "--batch", verbosity=0)
    assert len(smtp_server.messages) == 3

    clock.sleep(1.1)  # the dead worker's claim times out
    call_command("run_worker", "--batch", verbosity=0)

    recipients = sorted(r for _, rcpts in smtp_server.envelopes for r in rcpts)
    assert recipients == [f"reader{number}@example.com" for number in range(8)]


@pytest.mark.django_db(transaction=True)
def test_one_click_unsubscribe_from_an_email_stops_the_next_post(smtp_server):
    make_subscriber("ana@example.com")
    make_subscriber("ben@example.com")
    make_post()
    call_command("run_worker", "--batch", verbosity=0)
    [message] = smtp_server.to("ana@example.com")
    url = message["List-Unsubscribe"].strip("<>")

    response = Client(enforce_csrf_checks=True).post(
        url.removeprefix("https://clinic.example"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    make_post()
    call_command("run_worker", "--batch", verbosity=0)

    assert response.status_code == 200
    assert Subscriber.objects.get(email="ana@example.com").status == "unsubscribed"
    assert len(smtp_server.to("ana@example.com")) == 1
    assert len(smtp_server.to("ben@example.com")) == 2


# --- Weekly digest ---------------------------------------------------------------


def local_midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def last_week(days_into_week, hour=12):
    """A moment in the week before this one, local time."""
    start = local_midnight(announcing.digest_week())
    return start + timedelta(days=days_into_week, hours=hour)


def test_weekly_digest_lists_last_weeks_posts_to_weekly_subscribers(
    smtp_server, settings
):
    settings.NEWSLETTER_ANNOUNCE_WITHIN_HOURS = 1
    make_subscriber("weekly@example.com", frequency=Subscriber.Frequency.WEEKLY)
    make_subscriber("every@example.com")
    make_post(title="Myths about ketamine", published_at=last_week(1))
    make_post(title="Ketamine and chronic pain", published_at=last_week(4))
    make_post(
        title="Not meant for email", published_at=last_week(2), notify_subscribers=False
    )
    make_post(title="From two weeks ago", published_at=last_week(-3))

    call_command("send_weekly_digest", stdout=io.StringIO())
    deliver_everything()

    [message] = smtp_server.messages
    assert smtp_server.envelopes[0][1] == ["weekly@example.com"]
    body = text_part(message)
    assert "Myths about ketamine" in body
    assert "Ketamine and chronic pain" in body
    assert "Not meant for email" not in body
    assert "From two weeks ago" not in body
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Myths about ketamine" in html_part(message)


def test_weekly_digest_run_twice_in_a_week_is_sent_once(smtp_server):
    make_subscriber("weekly@example.com", frequency=Subscriber.Frequency.WEEKLY)
    make_post(published_at=last_week(2))

    call_command("send_weekly_digest", stdout=io.StringIO())
    deliver_everything()
    output = io.StringIO()
    call_command("send_weekly_digest", stdout=output)
    deliver_everything()

    assert len(smtp_server.messages) == 1
    assert "already" in output.getvalue()


def test_weekly_digest_sends_nothing_when_there_were_no_posts(smtp_server):
    make_subscriber("weekly@example.com", frequency=Subscriber.Frequency.WEEKLY)
    output = io.StringIO()

    call_command("send_weekly_digest", stdout=output)
    deliver_everything()

    assert smtp_server.messages == []
    assert "No posts" in output.getvalue()
    assert DigestRun.objects.get().recipient_count == 0


def test_the_digest_job_starts_the_weekly_digest_on_monday_morning(settings):
    settings.NEWSLETTER_DIGEST_HOUR = 9
    make_subscriber("weekly@example.com", frequency=Subscriber.Frequency.WEEKLY)
    make_post(published_at=last_week(2))
    monday = local_midnight(announcing.digest_week() + timedelta(days=7))

    announcing.send_weekly_digest_if_due(monday + timedelta(hours=8))
    assert not DigestRun.objects.exists()
    announcing.send_weekly_digest_if_due(monday + timedelta(hours=9))

    assert DigestRun.objects.get().recipient_count == 1
    assert Delivery.objects.filter(digest__isnull=False).count() == 1

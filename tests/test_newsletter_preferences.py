"""Topics, the preferences page, the welcome email and the postal-address
guard (issue 11)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from blog.models import Author, Post, Topic
from core.models import ClinicProfile
from leads import tasks, tokens
from leads.models import Subscriber
from newsletter import announcing, sending
from newsletter.models import Delivery, DigestRun

pytestmark = pytest.mark.django_db


def make_post(slug, *topics, **fields):
    author, _ = Author.objects.get_or_create(
        slug="team", defaults={"display_name": "Team"}
    )
    post = Post.objects.create(
        title=f"Post {slug}",
        slug=slug,
        summary="Summary.",
        body="Body.",
        author=author,
        status=Post.Status.PUBLISHED,
        published_at=fields.pop("published_at", timezone.now() - timedelta(minutes=1)),
        **fields,
    )
    post.topics.set(topics)
    return post


def make_subscriber(email, *topics, **fields):
    subscriber = Subscriber.objects.create(
        email=email,
        status=Subscriber.Status.CONFIRMED,
        follows_all_topics=not topics,
        **fields,
    )
    subscriber.topics.set(topics)
    return subscriber


def send_everything():
    announcing.sweep()
    while sending.send_batch().claimed:
        pass


@pytest.fixture
def topics(db):
    return (
        Topic.objects.create(slug="mood-test", name="Mood (test)"),
        Topic.objects.create(slug="pain-test", name="Pain relief (test)"),
    )


# --- Topics --------------------------------------------------------------------


def test_post_goes_to_followers_of_its_topic_and_of_everything_only(
    smtp_server, topics
):
    depression, pain = topics
    make_subscriber("all@example.com")
    make_subscriber("depression@example.com", depression)
    make_subscriber("pain@example.com", pain)
    make_post("ketamine-and-depression", depression)

    send_everything()

    received = sorted(to for _, [to] in smtp_server.envelopes)
    assert received == ["all@example.com", "depression@example.com"]


def test_post_without_topics_goes_only_to_those_following_everything(
    smtp_server, topics
):
    make_subscriber("all@example.com")
    make_subscriber("pain@example.com", topics[1])
    make_post("clinic-news")

    send_everything()

    assert [to for _, [to] in smtp_server.envelopes] == ["all@example.com"]


def test_weekly_digest_lists_only_the_followed_topics_posts(smtp_server, topics):
    depression, pain = topics
    week = announcing.digest_week()
    monday = timezone.make_aware(
        timezone.datetime.combine(week, timezone.datetime.min.time())
    )
    make_post("on-depression", depression, published_at=monday + timedelta(hours=10))
    make_post("on-pain", pain, published_at=monday + timedelta(hours=11))
    make_subscriber("pain@example.com", pain, frequency=Subscriber.Frequency.WEEKLY)

    announcing.start_weekly_digest()
    send_everything()

    [message] = smtp_server.messages
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Post on-pain" in text
    assert "Post on-depression" not in text
    assert DigestRun.objects.get().recipient_count == 1


# --- Preferences page ------------------------------------------------------------


def preferences_url(subscriber):
    return reverse(
        "leads:subscriber_preferences",
        args=[tokens.make_preferences_token(subscriber)],
    )


def test_every_newsletter_email_links_to_the_preferences_page(smtp_server):
    subscriber = make_subscriber("reader@example.com")
    make_post("with-a-link")

    send_everything()

    [message] = smtp_server.messages
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert subscriber.get_preferences_url() in text
    assert subscriber.get_preferences_url() in html


def test_preferences_page_changes_topics_and_frequency(client, topics):
    subscriber = make_subscriber("reader@example.com")
    url = preferences_url(subscriber)

    response = client.post(
        url,
        {
            "frequency": "weekly",
            "follows_all_topics": "False",
            "topics": [topics[1].pk],
        },
        follow=True,
    )

    assert "applies from the next email" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.frequency == Subscriber.Frequency.WEEKLY
    assert subscriber.follows_all_topics is False
    assert list(subscriber.topics.all()) == [topics[1]]


def test_change_of_topics_applies_to_the_next_send(client, smtp_server, topics):
    subscriber = make_subscriber("reader@example.com")
    client.post(
        preferences_url(subscriber),
        {
            "frequency": "every_post",
            "follows_all_topics": "False",
            "topics": [topics[1].pk],
        },
    )
    make_post("not-followed", topics[0])

    send_everything()

    assert smtp_server.messages == []


def test_choosing_topics_without_any_topic_is_refused_with_a_message(client, topics):
    subscriber = make_subscriber("reader@example.com")

    response = client.post(
        preferences_url(subscriber),
        {"frequency": "every_post", "follows_all_topics": "False"},
    )

    assert response.status_code == 400
    assert "Choose at least one topic" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.follows_all_topics is True


def test_unsubscribing_from_the_preferences_page_records_why(client):
    subscriber = make_subscriber("reader@example.com")

    client.post(preferences_url(subscriber), {"unsubscribe": ""})

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_reason == Subscriber.UnsubscribeReason.PREFERENCES


@pytest.mark.parametrize("change", ["altered", "other_row", "garbage"])
def test_altered_preferences_link_gets_a_friendly_400_page(client, change):
    subscriber = make_subscriber("reader@example.com")
    other = make_subscriber("other@example.com")
    token = tokens.make_preferences_token(subscriber)
    if change == "altered":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    elif change == "other_row":
        forged = signing.dumps(
            [other.pk, tokens.email_digest(subscriber.unsubscribe_token)],
            salt=tokens.PREFERENCES_SALT,
        )
        token = forged
    else:
        token = "not-a-token"

    response = client.post(
        reverse("leads:subscriber_preferences", args=[token]),
        {"frequency": "weekly", "follows_all_topics": "True"},
    )

    assert response.status_code == 400
    assert "This link no longer works" in response.content.decode()
    assert Subscriber.objects.filter(frequency="weekly").count() == 0


def test_expired_preferences_link_says_so(client):
    subscriber = make_subscriber("reader@example.com")
    long_ago = timezone.now() - tokens.PREFERENCES_MAX_AGE - timedelta(days=1)
    with mock.patch("django.core.signing.time.time", return_value=long_ago.timestamp()):
        url = preferences_url(subscriber)

    response = client.get(url)

    assert response.status_code == 400
    assert "work for six months" in response.content.decode()


# --- Welcome email -----------------------------------------------------------------


def test_confirming_sends_the_welcome_email_with_what_how_often_and_links(
    client, smtp_server, settings, topics
):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }
    subscriber = Subscriber.objects.create(
        email="new@example.com",
        frequency=Subscriber.Frequency.WEEKLY,
        follows_all_topics=False,
    )
    subscriber.topics.set([topics[1]])
    url = reverse(
        "leads:subscribe_confirm", args=[tokens.make_confirm_token(subscriber)]
    )

    client.post(url)

    [message] = smtp_server.to("new@example.com")
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert message["Subject"].startswith("Welcome")
    assert "one digest a week" in text
    assert "Pain relief (test)" in text
    assert "/subscribe/preferences/" in text
    assert "/unsubscribe/" in text
    subscriber.refresh_from_db()
    assert subscriber.welcome_sent_at is not None


def test_welcome_email_is_sent_once(smtp_server):
    subscriber = make_subscriber("new@example.com")

    tasks.send_welcome_email.call(subscriber.pk)
    tasks.send_welcome_email.call(subscriber.pk)

    assert len(smtp_server.messages) == 1


def test_a_refused_welcome_email_marks_the_subscriber_bounced(smtp_server):
    subscriber = make_subscriber("gone@example.com")
    smtp_server.refuse.add("gone@example.com")

    tasks.send_welcome_email.call(subscriber.pk)

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED
    assert subscriber.bounced_at is not None
    assert tasks.enqueue_unsent_emails() == 0


def test_sweep_resends_a_lost_welcome_email(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}
    }
    make_subscriber("new@example.com", confirmed_at=timezone.now() - timedelta(hours=1))

    assert tasks.enqueue_unsent_emails() == 1


# --- CAN-SPAM: a postal address in every mailing -----------------------------------


def clear_postal_address():
    profile = ClinicProfile.current()
    profile.street_address = ""
    profile.save()


def test_post_waits_while_the_clinic_has_no_postal_address(smtp_server):
    clear_postal_address()
    make_subscriber("reader@example.com")
    make_post("waiting")

    send_everything()

    assert smtp_server.messages == []
    assert not Delivery.objects.exists()


def test_post_goes_out_once_the_address_is_filled_in_if_still_recent(smtp_server):
    clear_postal_address()
    make_subscriber("reader@example.com")
    make_post("waiting")
    send_everything()

    profile = ClinicProfile.current()
    profile.street_address = "125 Example Avenue"
    profile.save()
    send_everything()

    assert len(smtp_server.messages) == 1


def test_post_too_old_by_the_time_the_address_is_filled_in_is_not_sent(
    smtp_server, settings
):
    clear_postal_address()
    make_subscriber("reader@example.com")
    make_post("old", published_at=timezone.now() - timedelta(hours=80))
    profile = ClinicProfile.current()
    profile.street_address = "125 Example Avenue"
    profile.save()

    send_everything()

    assert smtp_server.messages == []


def test_queued_deliveries_wait_too_when_the_address_is_removed(smtp_server):
    make_subscriber("reader@example.com")
    make_post("queued")
    announcing.sweep()
    clear_postal_address()

    sending.send_batch()

    assert smtp_server.messages == []
    assert Delivery.objects.get().status == Delivery.Status.QUEUED


def test_mailing_admin_says_it_waits_for_the_postal_address(admin_client):
    clear_postal_address()
    make_post("waiting")

    response = admin_client.get(reverse("admin:newsletter_postmailing_changelist"))

    assert "has no postal address" in response.content.decode()


def test_subscriber_admin_shows_topics_and_why_they_left(admin_client, topics):
    subscriber = make_subscriber("reader@example.com", topics[0])
    subscriber.unsubscribe(reason=Subscriber.UnsubscribeReason.COMPLAINT)

    response = admin_client.get(
        reverse("admin:leads_subscriber_change", args=[subscriber.pk])
    )

    page = response.content.decode()
    assert "Mood (test)" in page
    assert "Reported an email as spam" in page

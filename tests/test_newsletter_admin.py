"""The newsletter in the admin: per-post progress, retrying failures, test emails."""

import pytest
from django.urls import reverse

from blog.models import Post
from newsletter.models import Delivery
from tests.test_newsletter_sending import make_post, make_subscriber

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:newsletter_postmailing_changelist"


def deliveries_for(post, *statuses):
    for number, status in enumerate(statuses):
        subscriber = make_subscriber(f"p{post.pk}-reader{number}@example.com")
        Delivery.objects.create(post=post, subscriber=subscriber, status=status)


@pytest.fixture
def immediate_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
    }


def test_post_mailings_list_shows_queued_sent_failed_of_how_many(admin_client):
    post = make_post(title="Ketamine and PTSD")
    deliveries_for(post, "queued", "sending", "sent", "sent", "sent", "failed")

    response = admin_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    row = next(r for r in response.context["cl"].result_list if r.pk == post.pk)
    assert (
        row.deliveries_queued,
        row.deliveries_sent,
        row.deliveries_failed,
        row.deliveries_total,
    ) == (2, 3, 1, 6)
    assert "Ketamine and PTSD" in response.text


def test_post_mailings_list_runs_the_same_queries_for_many_posts(
    admin_client, django_assert_max_num_queries
):
    for _ in range(3):
        deliveries_for(make_post(), "sent", "failed")
    admin_client.get(reverse(CHANGELIST))
    with django_assert_max_num_queries(12) as few:
        admin_client.get(reverse(CHANGELIST))

    for _ in range(20):
        deliveries_for(make_post(), "sent", "queued")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200


def test_progress_numbers_link_to_the_deliveries_of_that_post(admin_client):
    post = make_post()
    deliveries_for(post, "failed", "sent")
    url = (
        reverse("admin:newsletter_delivery_changelist")
        + f"?post__id__exact={post.pk}&status__exact=failed"
    )

    listing = admin_client.get(reverse(CHANGELIST))
    response = admin_client.get(url)

    assert url.replace("&", "&amp;") in listing.text
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_retry_action_queues_the_failed_deliveries_again(admin_client, immediate_tasks):
    post = make_post()
    deliveries_for(post, "failed", "failed", "sent", "bounced")
    Delivery.objects.filter(status="failed").update(attempts=5, last_error="451")

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "retry_failed_deliveries", "_selected_action": [post.pk]},
        follow=True,
    )

    assert "2 failed deliveries queued again." in response.text
    statuses = sorted(Delivery.objects.values_list("status", flat=True))
    assert statuses == ["bounced", "sent", "sent", "sent"]


def test_send_test_email_action_mails_a_draft_to_the_staff_member(
    admin_client, admin_user, immediate_tasks, mailoutbox
):
    post = make_post(
        title="Before we publish", status=Post.Status.DRAFT, published_at=None
    )

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "send_test_email_to_me", "_selected_action": [post.pk]},
        follow=True,
    )

    assert "on its way to admin@example.com" in response.text
    [message] = mailoutbox
    assert message.to == [admin_user.email]
    assert message.subject == "[Test] Before we publish"
    assert message.extra_headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    assert not Delivery.objects.exists()


def test_send_test_email_action_explains_when_the_staff_member_has_no_address(
    admin_client, admin_user, immediate_tasks, mailoutbox
):
    admin_user.email = ""
    admin_user.save()
    post = make_post()

    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "send_test_email_to_me", "_selected_action": [post.pk]},
        follow=True,
    )

    assert "has no email address" in response.text
    assert mailoutbox == []


def test_post_mailing_page_is_read_only_and_links_to_the_post_editor(admin_client):
    post = make_post()
    deliveries_for(post, "sent")

    response = admin_client.get(
        reverse("admin:newsletter_postmailing_change", args=[post.pk])
    )

    assert response.status_code == 200
    assert reverse("admin:blog_post_change", args=[post.pk]) in response.text
    assert 'name="_save"' not in response.text

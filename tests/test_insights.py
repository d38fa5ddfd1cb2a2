"""Staff insight: views, requests and sign-ups per post and day, nothing per person."""

import csv
import datetime
import io

import pytest
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from blog.models import PostDailyViews
from leads.models import Lead, Subscriber
from leads.services import post_at_path, sign_up

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140 Safari/537.36"


def beacon(client, post, user_agent=BROWSER):
    return client.post(
        reverse("blog:post_view", args=[post.slug]), HTTP_USER_AGENT=user_agent
    )


def days_ago(days):
    return timezone.localdate() - datetime.timedelta(days=days)


def at_noon(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def lead_from(make_lead, post, day, **fields):
    lead = make_lead(source_post=post, **fields)
    Lead.objects.filter(pk=lead.pk).update(created_at=at_noon(day))
    return lead


def signup_from(post, day, number):
    subscriber = Subscriber.objects.create(
        email=f"reader{number}@example.org", source_post=post
    )
    Subscriber.objects.filter(pk=subscriber.pk).update(created_at=at_noon(day))


def test_the_beacon_adds_to_the_post_row_of_the_day(client, post):
    beacon(client, post)
    beacon(client, post, user_agent="Mozilla/5.0 Firefox/140")
    beacon(client, post, user_agent="Googlebot/2.1")

    row = PostDailyViews.objects.get()
    assert (row.post, row.day, row.views) == (post, timezone.localdate(), 2)


def test_counting_updates_an_existing_row_or_creates_it(post):
    yesterday = days_ago(1)
    PostDailyViews.count(post.pk, yesterday)
    PostDailyViews.count(post.pk, yesterday)
    PostDailyViews.count(post.pk)

    assert dict(PostDailyViews.objects.values_list("day", "views")) == {
        yesterday: 2,
        timezone.localdate(): 1,
    }


def test_counting_survives_a_row_created_in_between(post, monkeypatch):
    """The race: another beacon creates the row after our update found none."""
    real_update = QuerySet.update
    raced = []

    def racing_update(queryset, **fields):
        if not raced:
            raced.append(True)
            PostDailyViews.objects.bulk_create(
                [PostDailyViews(post=post, day=timezone.localdate(), views=1)]
            )
            return 0
        return real_update(queryset, **fields)

    monkeypatch.setattr(QuerySet, "update", racing_update)
    PostDailyViews.count(post.pk)

    assert PostDailyViews.objects.get().views == 2


def test_a_sign_up_on_a_post_page_records_the_post(post):
    sign_up(
        {
            "email": "reader@example.org",
            "first_name": "",
            "frequency": Subscriber.Frequency.EVERY_POST,
            "source_path": post.get_absolute_url(),
        }
    )

    assert Subscriber.objects.get().source_post == post


def test_only_a_published_post_page_is_a_source(post, make_post):
    draft = make_post(status="draft")
    assert post_at_path(post.get_absolute_url()) == post
    assert post_at_path(draft.get_absolute_url()) is None
    assert post_at_path("/contact/") is None
    assert post_at_path("/no/such/page/") is None
    assert post_at_path("") is None


@pytest.fixture
def editor_client(client, make_staff):
    client.force_login(make_staff("Editors", username="eddie"))
    return client


def test_staff_without_lead_or_blog_permission_get_403(client, make_staff):
    client.force_login(make_staff(username="nobody"))
    assert client.get(reverse("insights:index")).status_code == 403
    assert client.get(reverse("insights:export")).status_code == 403


def test_visitors_are_sent_to_the_login(client):
    response = client.get(reverse("insights:index"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_front_desk_and_editors_see_it_and_the_admin_links_it(
    desk_client, client, make_staff
):
    assert desk_client.get(reverse("insights:index")).status_code == 200
    assert reverse("insights:index") in desk_client.get(reverse("admin:index")).text
    client.force_login(make_staff("Editors", username="eddie"))
    assert client.get(reverse("insights:index")).status_code == 200


@pytest.fixture
def known_data(make_post, make_lead):
    """Two posts: views, requests (one spam) and sign-ups on known days."""
    one = make_post(title="Post one")
    two = make_post(title="Post two")
    for post, day, views in [
        (one, days_ago(0), 40),
        (one, days_ago(10), 60),
        (one, days_ago(60), 100),
        (two, days_ago(3), 50),
        (two, days_ago(120), 500),
    ]:
        PostDailyViews.objects.create(post=post, day=day, views=views)
    lead_from(make_lead, one, days_ago(0), referrer="www.search.example/q")
    lead_from(make_lead, one, days_ago(10), utm_campaign="spring", utm_source="mail")
    lead_from(make_lead, one, days_ago(60), referrer="forum.example")
    lead_from(make_lead, two, days_ago(3), status=Lead.Status.SPAM)
    lead_from(make_lead, None, days_ago(1), referrer="forum.example/thread")
    signup_from(one, days_ago(2), 1)
    signup_from(two, days_ago(5), 2)
    signup_from(two, days_ago(40), 3)
    return one, two


def test_counts_match_known_data(desk_client, known_data):
    response = desk_client.get(reverse("insights:index"))

    totals = {row["days"]: row for row in response.context["totals"]}
    assert (totals[7]["views"], totals[7]["requests"], totals[7]["signups"]) == (
        90,
        1,
        2,
    )
    assert (totals[30]["views"], totals[30]["requests"], totals[30]["signups"]) == (
        150,
        2,
        2,
    )
    assert (totals[90]["views"], totals[90]["requests"], totals[90]["signups"]) == (
        250,
        3,
        3,
    )
    assert totals[30]["conversion_display"] == "1.3%"
    posts = {row["title"]: row for row in response.context["posts"]}
    assert (posts["Post one"]["views"], posts["Post one"]["requests"]) == (100, 2)
    assert posts["Post one"]["signups"] == 1
    assert (posts["Post two"]["views"], posts["Post two"]["requests"]) == (50, 0)
    assert posts["Post one"]["conversion_display"] == "2.0%"
    assert dict(response.context["referrers"]) == {
        "search.example": 1,
        "forum.example": 1,
    }
    assert [row["utm_campaign"] for row in response.context["campaigns"]] == ["spring"]
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in response.text

    wider = desk_client.get(reverse("insights:index"), {"days": "90"}).context
    assert {row["title"]: row["views"] for row in wider["posts"]} == {
        "Post one": 200,
        "Post two": 50,
    }
    assert dict(wider["referrers"]) == {"search.example": 1, "forum.example": 2}
    odd = desk_client.get(reverse("insights:index"), {"days": "x'; --"})
    assert odd.status_code == 200 and odd.context["days"] == 30


def test_the_weekly_charts_hold_the_counts(desk_client, known_data):
    context = desk_client.get(reverse("insights:index")).context
    assert sum(bar["total"] for bar in context["views_chart"]["bars"]) == 250
    assert sum(bar["total"] for bar in context["actions_chart"]["bars"]) == 6


def test_csv_export_has_one_row_per_post_and_day(desk_client, known_data):
    one, two = known_data
    response = desk_client.get(reverse("insights:export"), {"days": "7"})

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["Day", "Post", "Views"]
    assert sorted(rows[1:]) == sorted(
        [
            [days_ago(5).isoformat(), "Post two", "0", "0", "1", ""],
            [days_ago(3).isoformat(), "Post two", "50", "0", "0", "0.0000"],
            [days_ago(2).isoformat(), "Post one", "0", "0", "1", ""],
            [days_ago(0).isoformat(), "Post one", "40", "1", "0", "0.0250"],
        ]
    )


def test_csv_export_asks_for_a_recent_second_factor(
    client, make_staff_with_totp, sign_in, settings
):
    settings.STAFF_MFA_REQUIRED = True
    user, secret, _ = make_staff_with_totp("Front desk")
    sign_in(client, user.username, secret=secret)
    assert client.get(reverse("insights:export")).status_code == 200

    settings.STAFF_RECENT_MFA_MINUTES = 0
    response = client.get(reverse("insights:export"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_the_page_queries_stay_flat_at_1000_posts_by_365_days(
    desk_client, make_post, django_assert_max_num_queries
):
    from blog.models import Author, Post

    today = timezone.localdate()
    PostDailyViews.objects.create(post=make_post(), day=today, views=1)
    page = reverse("insights:index", query={"days": "90"})
    desk_client.get(page)  # the clinic profile row comes first
    with django_assert_max_num_queries(30) as one_post_one_day:
        desk_client.get(page)

    author = Author.objects.get_or_create(
        slug="clinical-team", defaults={"display_name": "Clinical Team"}
    )[0]
    now = timezone.now()
    Post.objects.bulk_create(
        Post(
            title=f"Post {n}",
            slug=f"bulk-{n}",
            body="Text",
            author=author,
            status="published",
            published_at=now,
        )
        for n in range(1000)
    )
    ids = Post.objects.filter(slug__startswith="bulk-").values_list("pk", flat=True)
    PostDailyViews.objects.bulk_create(
        (
            PostDailyViews(
                post_id=pk, day=today - datetime.timedelta(days=d), views=1 + d % 7
            )
            for pk in ids
            for d in range(365)
        ),
        batch_size=5000,
    )
    assert PostDailyViews.objects.count() == 1 + 365_000

    with django_assert_max_num_queries(len(one_post_one_day.captured_queries)):
        response = desk_client.get(page)

    assert response.status_code == 200
    assert len(response.context["posts"]) == 50

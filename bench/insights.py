"""How fast the staff insight page renders at 1,000 posts × 365 days of counts.

Fills a fresh SQLite database (or DATABASE_URL, if set; it is migrated and
rows are added to it, so never point this at production) with N posts, a
PostDailyViews row for each post and day, and some leads and sign-ups from
posts; signs in as a Front desk user and times the insight page for 7, 30 and
90 days and the 30-day CSV export in-process, printing median and slowest
times and the number of SQL queries of each.

    .venv/bin/python bench/insights.py [--posts 1000] [--days 365] [--runs 10]
"""

import argparse
import datetime
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from admin_lead_list import measure, setup_django  # noqa: E402


def fill(posts, days):
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from blog.models import Author, Post, PostDailyViews
    from leads.models import Lead, Subscriber

    desk = User.objects.create_user("bench-desk", password="x", is_staff=True)
    desk.groups.add(Group.objects.get(name="Front desk"))
    author, _ = Author.objects.get_or_create(
        slug="bench-team", defaults={"display_name": "Bench Team"}
    )
    now = timezone.now()
    Post.objects.bulk_create(
        Post(
            title=f"Bench post {n}",
            slug=f"bench-post-{n}",
            body="Text",
            author=author,
            status="published",
            published_at=now,
        )
        for n in range(posts)
    )
    ids = list(Post.objects.values_list("pk", flat=True))
    today = timezone.localdate()
    PostDailyViews.objects.bulk_create(
        (
            PostDailyViews(
                post_id=pk, day=today - datetime.timedelta(days=d), views=1 + d % 9
            )
            for pk in ids
            for d in range(days)
        ),
        batch_size=5000,
    )
    leads = Lead.objects.bulk_create(
        Lead(
            full_name=f"Bench Person {n}",
            email=f"bench{n}@example.com",
            phone="+15555550100",
            interests=["depression"],
            consent_text="I agree.",
            consent_version="bench",
            consented_at=now,
            source_post_id=ids[n % len(ids)],
            referrer=f"site{n % 13}.example/page",
            utm_campaign=f"campaign{n % 5}" if n % 3 == 0 else "",
        )
        for n in range(5000)
    )
    for n, lead in enumerate(leads):
        lead.created_at = now - datetime.timedelta(minutes=97 * n)
    Lead.objects.bulk_update(leads, ["created_at"], batch_size=500)
    Subscriber.objects.bulk_create(
        Subscriber(email=f"reader{n}@example.com", source_post_id=ids[n % len(ids)])
        for n in range(3000)
    )
    return desk


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    # The bench user has no second factor; the timings are of the pages.
    os.environ["STAFF_MFA_REQUIRED"] = "false"
    with tempfile.TemporaryDirectory(prefix="clinic-bench-") as workdir:
        setup_django(workdir)
        from django.test import Client
        from django.urls import reverse

        started = time.perf_counter()
        desk = fill(args.posts, args.days)
        print(
            f"{args.posts} posts × {args.days} days = {args.posts * args.days} daily "
            f"rows, 5000 leads, 3000 sign-ups (filled in "
            f"{time.perf_counter() - started:.0f} s); {args.runs} runs per page"
        )
        client = Client()
        client.force_login(desk)
        index = reverse("insights:index")
        pages = {
            "insights, last 7 days": index + "?days=7",
            "insights, last 30 days": index + "?days=30",
            "insights, last 90 days": index + "?days=90",
            "CSV export, last 30 days": reverse("insights:export") + "?days=30",
        }
        for name, url in pages.items():
            median, slowest, queries = measure(client, url, args.runs)
            print(
                f"{name:28} median {median * 1000:7.1f} ms  "
                f"slowest {slowest * 1000:7.1f} ms  {queries:3d} queries"
            )


if __name__ == "__main__":
    main()

"""How fast the staff pages render with thousands of leads.

Fills a fresh SQLite database (or DATABASE_URL, if set; it is migrated and
leads are added to it, so never point this at production) with N leads, logs
in as a Front desk user and times the lead list, a filtered lead list, the
dashboard and a CSV export in-process, printing median and slowest times and
the number of SQL queries of each page.

    .venv/bin/python bench/admin_lead_list.py [--leads 5000] [--runs 20]
"""

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def setup_django(workdir):
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ.setdefault(
        "DATABASE_URL", f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
    )
    os.environ.setdefault(
        "DJANGO_SECRET_KEY",
        "benchmark-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
    )
    os.environ["DJANGO_HTTPS"] = "false"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("SITE_URL", "https://clinic.example")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("DJANGO_DEBUG", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "clinic_site.settings"
    import django

    django.setup()
    from django.conf import settings

    settings.STORAGES["staticfiles"] = {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
    }
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def fill(count):
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from blog.models import Author, Post
    from leads.models import Lead

    desk = User.objects.create_user("bench-desk", password="x", is_staff=True)
    desk.groups.add(Group.objects.get(name="Front desk"))
    colleague = User.objects.create_user("bench-colleague", is_staff=True)
    author, _ = Author.objects.get_or_create(
        slug="bench-team", defaults={"display_name": "Bench Team"}
    )
    posts = [
        Post.objects.create(
            title=f"Bench post {n}", slug=f"bench-post-{n}", body="Text", author=author
        )
        for n in range(5)
    ]
    now = timezone.now()
    statuses = Lead.Status.values
    leads = Lead.objects.bulk_create(
        Lead(
            full_name=f"Bench Person {n}",
            email=f"bench{n}@example.com",
            phone=f"+1555555{n % 10000:04d}",
            interests=["depression", "anxiety"] if n % 2 else ["ptsd"],
            consent_text="I agree.",
            consent_version="bench",
            consented_at=now,
            status=statuses[n % len(statuses)],
            is_urgent=n % 40 == 0,
            assigned_to=(desk, colleague, None)[n % 3],
            source_post=posts[n % 5] if n % 3 == 0 else None,
            utm_source=f"source{n % 7}" if n % 4 == 0 else "",
        )
        for n in range(count)
    )
    for n, lead in enumerate(leads):
        lead.created_at = now - datetime.timedelta(minutes=37 * n)
        if n % 3:
            lead.first_contacted_at = lead.created_at + datetime.timedelta(hours=3)
    Lead.objects.bulk_update(
        leads, ["created_at", "first_contacted_at"], batch_size=500
    )
    return desk


def measure(client, url, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                for _chunk in response.streaming_content:
                    pass
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings), max(timings), len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="clinic-bench-") as workdir:
        setup_django(workdir)
        from django.test import Client
        from django.urls import reverse

        desk = fill(args.leads)
        client = Client()
        client.force_login(desk)
        changelist = reverse("admin:leads_lead_changelist")
        pages = {
            "lead list (working list)": changelist,
            "lead list (all leads)": changelist + "?status=all",
            "lead list (filtered, searched)": changelist
            + "?status=all&interest=ptsd&assigned=me&q=Bench",
            "dashboard": reverse("leads_staff:dashboard"),
            "CSV export (all leads)": reverse("admin:leads_lead_export")
            + "?status=all",
        }
        print(f"{args.leads} leads, {args.runs} runs per page (in-process, DEBUG off)")
        for name, url in pages.items():
            runs = max(1, args.runs // 4) if "CSV" in name else args.runs
            median, slowest, queries = measure(client, url, runs)
            print(
                f"{name:32} median {median * 1000:7.1f} ms  "
                f"slowest {slowest * 1000:7.1f} ms  {queries:3d} queries"
            )


if __name__ == "__main__":
    main()

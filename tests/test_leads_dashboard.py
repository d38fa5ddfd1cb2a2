import datetime
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads import dashboard
from leads.models import Lead

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# A Wednesday noon; its week started on Monday, November 16.
NOW = datetime.datetime(2026, 11, 18, 12, 0, tzinfo=NEW_YORK)


def at(month, day, hour=9):
    return datetime.datetime(2026, month, day, hour, 0, tzinfo=NEW_YORK)


@pytest.fixture
def known_leads(make_lead, make_post):
    """Eight leads whose figures are worked out by hand in the tests."""
    first = make_post(title="How ketamine works")
    second = make_post(title="Myths and misconceptions")
    hours = datetime.timedelta(hours=1)
    return {
        # This week: one overdue from a post, one urgent from a campaign.
        "a": make_lead(created_at=at(11, 17, 10), source_post=first),
        "b": make_lead(created_at=at(11, 18, 9), is_urgent=True, utm_source="fb"),
        # Last week: contacted after two hours, from the first post.
        "c": make_lead(
            created_at=at(11, 9),
            status=Lead.Status.CONTACTED,
            first_contacted_at=at(11, 9) + 2 * hours,
            source_post=first,
        ),
        # Two weeks ago: two patients from plain pages, one of them urgent.
        "d": make_lead(
            created_at=at(11, 2),
            status=Lead.Status.BECAME_PATIENT,
            first_contacted_at=at(11, 2) + 4 * hours,
            source_path="/about/",
        ),
        "h": make_lead(
            created_at=at(11, 3),
            status=Lead.Status.BECAME_PATIENT,
            is_urgent=True,
            first_contacted_at=at(11, 3) + hours,
        ),
        # Three weeks ago: not a fit, from the second post.
        "e": make_lead(
            created_at=at(10, 26),
            status=Lead.Status.NOT_A_FIT,
            first_contacted_at=at(10, 26) + 6 * hours,
            source_post=second,
        ),
        # Spam is left out of everything but its own count.
        "f": make_lead(created_at=at(11, 10), status=Lead.Status.SPAM),
        # Before the twelve weeks.
        "g": make_lead(
            created_at=at(6, 1),
            status=Lead.Status.BECAME_PATIENT,
            first_contacted_at=at(6, 1) + hours,
        ),
    }


def test_dashboard_counts_new_overdue_and_urgent_leads(known_leads):
    figures = dashboard.figures(now=NOW)

    assert figures["new_this_week"] == 2
    assert figures["overdue_now"] == 1
    assert figures["urgent_open"] == 1


def test_dashboard_period_covers_twelve_weeks_from_a_monday(known_leads):
    figures = dashboard.figures(now=NOW)

    assert timezone_date(figures["since"]) == datetime.date(2026, 8, 31)
    assert len(figures["status_chart"]["bars"]) == 12
    assert figures["status_chart"]["bars"][-1]["monday"] == datetime.date(2026, 11, 16)


def test_dashboard_computes_median_time_to_first_contact(known_leads):
    figures = dashboard.figures(now=NOW)

    # Contacted after 2, 4, 1 and 6 hours: the median is 3 hours.
    assert figures["median_time_to_first_contact"] == datetime.timedelta(hours=3)
    assert figures["median_time_to_first_contact_display"] == "3 h 00 min"


def test_dashboard_computes_the_share_that_became_patients(known_leads):
    figures = dashboard.figures(now=NOW)

    assert figures["period_total"] == 6
    assert figures["patients"] == 2
    assert figures["patient_share"] == pytest.approx(1 / 3)
    assert figures["patient_share_display"] == "33% (2 of 6)"
    assert figures["spam_in_period"] == 1


def test_dashboard_ranks_the_posts_that_brought_leads(known_leads):
    figures = dashboard.figures(now=NOW)

    ranking = [(r["source_post__title"], r["count"]) for r in figures["top_posts"]]
    assert ranking == [("How ketamine works", 2), ("Myths and misconceptions", 1)]


def series_by_week(chart):
    labels = [item["label"] for item in chart["series"]]
    return {
        bar["monday"]: {
            label: n for label, n in zip(labels, bar["by_series"], strict=True) if n
        }
        for bar in chart["bars"]
        if bar["total"]
    }


def test_weekly_chart_splits_leads_by_status(known_leads):
    chart = dashboard.figures(now=NOW)["status_chart"]

    assert series_by_week(chart) == {
        datetime.date(2026, 11, 16): {"New": 2},
        datetime.date(2026, 11, 9): {"Contacted": 1},
        datetime.date(2026, 11, 2): {"Became patient": 2},
        datetime.date(2026, 10, 26): {"Not a fit": 1},
    }


def test_weekly_chart_splits_leads_by_source(known_leads):
    chart = dashboard.figures(now=NOW)["source_chart"]

    assert series_by_week(chart) == {
        datetime.date(2026, 11, 16): {"Campaign (UTM)": 1, "Blog post": 1},
        datetime.date(2026, 11, 9): {"Blog post": 1},
        datetime.date(2026, 11, 2): {"Other page": 2},
        datetime.date(2026, 10, 26): {"Blog post": 1},
    }


def test_chart_bars_are_scaled_to_the_busiest_week(known_leads):
    chart = dashboard.figures(now=NOW)["status_chart"]

    heights = {
        bar["monday"]: sum(s["height"] for s in bar["segments"])
        for bar in chart["bars"]
    }
    assert chart["max"] == 2
    assert heights[datetime.date(2026, 11, 16)] == pytest.approx(200, abs=0.2)
    assert heights[datetime.date(2026, 11, 9)] == pytest.approx(100, abs=0.2)
    assert heights[datetime.date(2026, 9, 7)] == 0


def test_dashboard_without_leads_shows_no_figures_rather_than_failing(db):
    figures = dashboard.figures(now=NOW)

    assert figures["median_time_to_first_contact_display"] == "No lead contacted yet"
    assert figures["patient_share_display"] == "—"
    assert figures["status_chart"]["max"] == 1


def timezone_date(moment):
    return moment.astimezone(NEW_YORK).date()


# The page


@pytest.fixture
def desk_client(client, make_staff):
    client.force_login(make_staff("Front desk"))
    return client


def test_dashboard_page_shows_figures_and_server_drawn_charts(desk_client, make_lead):
    make_lead(is_urgent=True)

    response = desk_client.get(reverse("leads_staff:dashboard"))

    html = response.text
    assert response.status_code == 200
    assert re.search(r'id="figure-urgent-open">1<', html)
    assert html.count("<svg") >= 2
    assert "<rect" in html
    assert "<script" not in html.split('id="content-main"')[1].split("</main>")[0]
    assert ' style="' not in html
    assert "http://" not in html.split("<svg", 1)[1].replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_admin_index_links_to_the_dashboard_for_lead_staff(desk_client):
    html = desk_client.get(reverse("admin:index")).text

    assert reverse("leads_staff:dashboard") in html


def test_dashboard_is_forbidden_without_the_view_permission(client, make_staff):
    client.force_login(make_staff("Editors"))

    response = client.get(reverse("leads_staff:dashboard"))

    assert response.status_code == 403


def count_dashboard_queries(client):
    client.get(reverse("leads_staff:dashboard"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("leads_staff:dashboard"))
    assert response.status_code == 200
    return len(queries)


def test_dashboard_runs_the_same_queries_for_10_or_5000_leads(
    desk_client, make_many_leads, make_post
):
    post = make_post()
    make_many_leads(10, post=post)
    with_10 = count_dashboard_queries(desk_client)

    make_many_leads(4990, post=post)
    with_5000 = count_dashboard_queries(desk_client)

    assert with_10 == with_5000
    assert with_5000 <= 12

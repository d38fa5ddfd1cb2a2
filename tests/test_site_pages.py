"""The pages every visitor sees: home, site pages, errors, robots, sitemap, health."""

import json

import pytest
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.db.utils import OperationalError
from django.test import Client
from django.urls import reverse

from core.models import ClinicProfile

pytestmark = pytest.mark.django_db

CRISIS_LINE = 'In crisis? Call or text <a href="tel:988">988</a>'


@pytest.fixture
def about_page():
    page = FlatPage.objects.create(
        url="/about/", title="About us", content="<p>We listen.</p>"
    )
    page.sites.add(Site.objects.get_current())
    return page


def test_home_page_shows_the_call_to_action_and_conditions(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert "Request a consultation" in response.text
    for condition in ["Depression", "Anxiety", "PTSD", "Chronic pain", "Substance use"]:
        assert condition in response.text


def test_home_page_describes_the_clinic_as_json_ld(client):
    response = client.get(reverse("home"))

    payload = response.text.split('<script type="application/ld+json">')[1].split(
        "</script>"
    )[0]
    data = json.loads(payload)
    assert data["@type"] == "MedicalClinic"
    assert data["name"] == ClinicProfile.current().name
    assert data["address"]["postalCode"] == ClinicProfile.current().postcode


@pytest.mark.parametrize("path", ["/", "/about/", "/no-such-page/"])
def test_every_page_shows_the_crisis_line(client, about_page, path):
    response = client.get(path)

    assert CRISIS_LINE in response.text


def test_footer_shows_the_clinic_contact_details(client):
    clinic = ClinicProfile.current()

    response = client.get(reverse("home"))

    for detail in [clinic.name, clinic.street_address, clinic.phone, clinic.postcode]:
        assert detail in response.text
    assert "/privacy/" in response.text
    assert "/medical-disclaimer/" in response.text


def test_clinic_profile_edits_show_up_at_once(client):
    client.get(reverse("home"))
    clinic = ClinicProfile.current()
    clinic.phone = "(555) 010-9999"

    clinic.save()

    assert "(555) 010-9999" in client.get(reverse("home")).text


def test_clinic_profile_is_a_single_record():
    ClinicProfile.current()
    ClinicProfile(name="Second clinic").save()

    assert ClinicProfile.objects.count() == 1
    assert ClinicProfile.current().name == "Second clinic"


def test_site_pages_are_served_from_the_database(client, about_page):
    response = client.get("/about/")

    assert response.status_code == 200
    assert "We listen." in response.text


def test_unknown_url_gets_the_designed_404_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "We couldn't find that page" in response.text


def test_database_outage_gives_the_designed_503_page(monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("database is down")

    monkeypatch.setattr(ClinicProfile, "current", broken)
    client = Client(raise_request_exception=False)

    response = client.get(reverse("home"))

    assert response.status_code == 503
    assert "back in a few minutes" in response.text
    assert "988" in response.text


def test_health_check_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_check_answers_503_when_the_database_does_not(client, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)

    response = client.get("/healthz")

    assert response.status_code == 503


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")

    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: https://clinic.example/sitemap.xml" in response.text
    assert "Disallow: /admin/" in response.text


def test_sitemap_lists_pages_with_absolute_urls(client, about_page):
    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert "<loc>https://clinic.example/</loc>" in response.text
    assert "<loc>https://clinic.example/about/</loc>" in response.text


def test_favicon_is_served_from_our_static_files(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("img/favicon.svg")


def test_pages_make_no_requests_to_other_hosts(client, about_page):
    for path in ["/", "/about/"]:
        html = client.get(path).text

        for attribute in ['src="http', 'src="//', 'href="//']:
            assert attribute not in html
        assert '<link rel="stylesheet" href="/static/' in html


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get(reverse("home"))

    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize("path", ["/", "/healthz", "/robots.txt", "/about/"])
def test_head_requests_are_answered_like_get(client, about_page, path):
    response = client.head(path)

    assert response.status_code == 200


def test_home_page_json_ld_cannot_be_ended_by_the_clinic_name(client):
    clinic = ClinicProfile.current()
    clinic.name = "Calm</script><b>Clinic"
    clinic.save()

    response = client.get(reverse("home"))

    assert "Calm</script>" not in response.text
    payload = response.text.split('<script type="application/ld+json">')[1]
    assert json.loads(payload.split("</script>")[0])["name"] == "Calm</script><b>Clinic"


def test_booking_link_shows_in_the_header_and_footer_once_set(client):
    assert "Book online" not in client.get(reverse("home")).text
    clinic = ClinicProfile.current()
    clinic.booking_url = "https://booking.clinic.example/new"
    clinic.save()

    html = client.get(reverse("home")).text

    assert html.count('href="https://booking.clinic.example/new"') >= 2

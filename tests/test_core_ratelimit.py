import os
import subprocess
import sys
import threading
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from core.http import client_ip
from core.models import RateLimitCounter
from core.protections import started_token
from core.protections.ratelimit import hit, parse_rate
from leads.models import Lead, Subscriber

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _limits_on(settings):
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = True
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0
    settings.LEADS_CONTACT_RATE = "5/10m"
    settings.LEADS_SUBSCRIBE_RATE = "10/h"
    settings.CLIENT_IP_HEADER = ""


def contact_data(number):
    return {
        "full_name": f"Person {number}",
        "email": f"person{number}@example.com",
        "preferred_contact_method": "email",
        "consent": "on",
        "started": started_token(),
    }


def post_contact(client, number, **extra):
    return client.post(reverse("leads:contact"), contact_data(number), **extra)


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("5/10m", (5, 600)),
        ("10/h", (10, 3600)),
        ("3/30s", (3, 30)),
        ("1/d", (1, 86400)),
    ],
)
def test_rates_are_read_as_count_per_period(rate, expected):
    assert parse_rate(rate) == expected


@pytest.mark.django_db
def test_the_sixth_contact_request_in_ten_minutes_gets_the_friendly_429_page(client):
    for number in range(5):
        assert post_contact(client, number).status_code == 302

    response = post_contact(client, 6)

    assert response.status_code == 429
    assert "Please wait a moment" in response.text
    assert 'href="tel:988"' in response.text
    assert 0 < int(response["Retry-After"]) <= 600
    assert Lead.objects.count() == 5


@pytest.mark.django_db
def test_the_eleventh_sign_up_in_an_hour_is_refused(client):
    for number in range(10):
        response = client.post(
            reverse("leads:subscribe"),
            {"email": f"r{number}@example.com", "frequency": "weekly"},
        )
        assert response.status_code in (200, 302)

    response = client.post(
        reverse("leads:subscribe"), {"email": "last@example.com", "frequency": "weekly"}
    )

    assert response.status_code == 429
    assert not Subscriber.objects.filter(email="last@example.com").exists()


@pytest.mark.django_db
def test_caught_bots_count_against_the_limit_too(client):
    for number in range(5):
        client.post(reverse("leads:contact"), {**contact_data(number), "website": "x"})

    assert post_contact(client, 6).status_code == 429


@pytest.mark.django_db
def test_page_views_do_not_count_against_the_limit(client):
    for _ in range(20):
        client.get(reverse("leads:contact"))

    assert post_contact(client, 1).status_code == 302


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_does_not_escape_the_limit(client):
    for number in range(5):
        post_contact(client, number, headers={"x-forwarded-for": f"10.0.0.{number}"})

    response = post_contact(client, 6, headers={"x-forwarded-for": "10.9.9.9"})

    assert response.status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_address_it_appended_is_used(client, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    for number in range(5):
        forged = f"10.0.0.{number}, 203.0.113.7"
        post_contact(client, number, headers={"x-forwarded-for": forged})

    response = post_contact(
        client, 6, headers={"x-forwarded-for": "10.9.9.9, 203.0.113.7"}
    )
    other_visitor = post_contact(client, 7, headers={"x-forwarded-for": "198.51.100.2"})

    assert response.status_code == 429
    assert other_visitor.status_code == 302


@pytest.mark.django_db
def test_a_garbage_proxy_header_falls_back_to_the_socket_address(client, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    for number in range(5):
        post_contact(client, number, headers={"x-real-ip": f"junk{number}"})

    assert post_contact(client, 6, headers={"x-real-ip": "junk"}).status_code == 429


@pytest.mark.django_db
def test_each_ip_address_has_its_own_allowance(client):
    for number in range(5):
        post_contact(client, number, REMOTE_ADDR="192.0.2.1")

    response = post_contact(client, 6, REMOTE_ADDR="192.0.2.2")

    assert response.status_code == 302


@pytest.mark.django_db
def test_the_contact_and_sign_up_limits_are_counted_separately(client):
    for number in range(5):
        post_contact(client, number)

    response = client.post(
        reverse("leads:subscribe"), {"email": "r@example.com", "frequency": "weekly"}
    )

    assert response.status_code in (200, 302)


@pytest.mark.django_db
def test_limits_can_be_switched_off_for_load_tests(client, settings):
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = False

    responses = [post_contact(client, number).status_code for number in range(8)]

    assert responses == [302] * 8


@pytest.mark.django_db
def test_the_limit_comes_from_settings(client, settings):
    settings.LEADS_CONTACT_RATE = "2/1m"
    post_contact(client, 1)
    post_contact(client, 2)

    assert post_contact(client, 3).status_code == 429


@pytest.mark.django_db
def test_counters_are_kept_in_the_database_without_plain_ip_addresses(client):
    post_contact(client, 1, REMOTE_ADDR="192.0.2.55")

    counter = RateLimitCounter.objects.get()
    assert counter.hits == 1
    assert "192.0.2.55" not in counter.key


@pytest.mark.django_db
def test_expired_windows_are_cleaned_up():
    hit("contact", "192.0.2.1", "5/1s")
    RateLimitCounter.objects.update(expires_at="2000-01-01T00:00:00Z")

    hit("contact", "192.0.2.2", "5/10m")

    assert RateLimitCounter.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_from_many_connections_share_one_count():
    """Each thread has its own database connection, like separate workers."""
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory test database uses table locks, unlike a file")
    results = []

    def attempt():
        try:
            results.append(hit("contact", "192.0.2.9", "5/10m")[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(True) == 5
    assert RateLimitCounter.objects.get().hits == 20


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LEADS_CONTACT_RATE", "five"),
        ("LEADS_SUBSCRIBE_RATE", "10/0m"),
        ("BLOG_COMMENT_RATE", "5 an hour"),
        ("BLOG_LIKE_RATE", "0/h"),
        ("PUBLIC_FORM_RATE_LIMITS_ENABLED", "maybe"),
        ("PUBLIC_FORM_MIN_FILL_SECONDS", "soon"),
        # Deprecated names are checked as strictly.
        ("LEADS_RATE_LIMITS_ENABLED", "maybe"),
        ("LEADS_MIN_FILL_SECONDS", "soon"),
        ("BLOG_COMMENTS_PER_HOUR", "0"),
        ("LEADS_PHONE_REGION", "XX"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(name, value):
    env = {**os.environ, name: value, "DJANGO_SETTINGS_MODULE": "clinic_site.settings"}

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert name in result.stderr


def test_client_ip_ignores_forwarding_headers_unless_a_proxy_is_trusted(rf, settings):
    request = rf.get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="10.0.0.1")

    assert client_ip(request) == "192.0.2.1"


def test_client_ip_takes_the_last_address_of_a_trusted_forwarded_list(rf, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    request = rf.get("/", HTTP_X_FORWARDED_FOR="10.0.0.1, 2001:db8::1")

    assert client_ip(request) == "2001:db8::1"


def test_client_ip_falls_back_when_the_trusted_header_is_missing(rf, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    request = rf.get("/", REMOTE_ADDR="192.0.2.1")

    assert client_ip(request) == "192.0.2.1"


def test_while_the_database_is_down_the_limit_falls_back_to_this_process():
    down = mock.patch(
        "core.protections.ratelimit.count_in_database",
        side_effect=OperationalError("could not connect to server"),
    )

    with down:
        answers = [hit("outage-test", "203.0.113.9", "3/m")[0] for _ in range(4)]

    assert answers == [True, True, True, False]

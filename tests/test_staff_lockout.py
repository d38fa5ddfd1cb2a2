"""Failed sign-ins lock out the attacking address, never the staff behind it.

The site sits behind a proxy: every request arrives from the proxy's address
(REMOTE_ADDR) and carries the visitor's real address in CLIENT_IP_HEADER.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
ATTACKER = "203.0.113.9"
COLLEAGUE = "198.51.100.7"


@pytest.fixture(autouse=True)
def behind_proxy(settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"


@pytest.fixture
def desk(make_staff):
    return make_staff("Front desk", username="frontdesk")


def attempt(client, address, username, password="wrong password"):
    return client.post(
        reverse("account_login"),
        {"login": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_REAL_IP=address,
    )


def signs_in(client, address, username="frontdesk"):
    response = attempt(client, address, username, "correct horse 42")
    return (
        response.status_code == 302
        and client.get(
            reverse("admin:index"), REMOTE_ADDR=PROXY, HTTP_X_REAL_IP=address
        ).status_code
        == 200
    )


def test_five_failures_from_one_address_lock_that_address_only(client, desk):
    for number in range(5):
        attempt(client, ATTACKER, f"guess{number}")

    locked = attempt(client, ATTACKER, "frontdesk", "correct horse 42")

    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.text
    assert signs_in(client, COLLEAGUE)


def test_failures_for_one_name_from_many_addresses_do_not_lock_that_person_out(
    client, desk
):
    for number in range(5):
        attempt(client, f"203.0.113.{number + 20}", "frontdesk")

    assert signs_in(client, COLLEAGUE)


def test_an_address_guessing_one_persons_password_is_locked_not_the_person(
    client, desk
):
    for _ in range(5):
        attempt(client, ATTACKER, "frontdesk")

    assert attempt(client, ATTACKER, "frontdesk", "correct horse 42").status_code == (
        429
    )
    assert signs_in(client, COLLEAGUE)


def test_failures_are_counted_for_the_real_address_not_the_proxy(client, desk):
    for _ in range(5):
        attempt(client, ATTACKER, "frontdesk")

    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))

    assert addresses == {ATTACKER}


def test_a_lockout_expires_after_the_cool_off_time(client, desk, settings):
    for number in range(5):
        attempt(client, ATTACKER, f"guess{number}")
    assert attempt(client, ATTACKER, "frontdesk").status_code == 429

    AccessAttempt.objects.update(
        attempt_time=timezone.now()
        - timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    )

    assert signs_in(client, ATTACKER)


def test_lockouts_show_in_the_admin(client, desk, admin_client):
    for number in range(5):
        attempt(client, ATTACKER, f"guess{number}")

    response = admin_client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 200
    assert ATTACKER in response.text
    assert PROXY not in response.text

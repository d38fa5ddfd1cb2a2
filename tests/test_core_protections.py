"""One set of protections for every public form: contact, sign-up, comment
and like, checked in one order (rate limit, bot trap, validation)."""

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from blog.models import Comment
from core.models import RateLimitCounter
from core.protections import (
    BotTrapForm,
    clean_control_characters,
    local_path,
    ratelimit,
    single_line,
    started_token,
)
from core.protections.ratelimit import hit, redis_client
from leads.models import Lead, Subscriber

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(autouse=True)
def _one_post_per_window(settings):
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = True
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0
    settings.CLIENT_IP_HEADER = ""
    for name in ("LEADS_CONTACT_RATE", "LEADS_SUBSCRIBE_RATE"):
        setattr(settings, name, "1/h")
    settings.BLOG_COMMENT_RATE = settings.BLOG_LIKE_RATE = "1/h"


def contact_form(post):
    return reverse("leads:contact"), {
        "full_name": "Jordan Lee",
        "email": "jordan@example.com",
        "preferred_contact_method": "email",
        "consent": "on",
    }


def sign_up_form(post):
    return reverse("leads:subscribe"), {
        "email": "reader@example.com",
        "frequency": "every_post",
    }


def comment_form(post):
    return reverse("blog:comment_create", args=[post.slug]), {
        "name": "Maria",
        "email": "maria@example.com",
        "body": "This helped me understand the screening step.",
    }


def like_form(post):
    return reverse("blog:post_like", args=[post.slug]), {}


def stored():
    """Everything any public form could have stored."""
    return Lead.objects.count() + Subscriber.objects.count() + Comment.objects.count()


FORMS = [contact_form, sign_up_form, comment_form, like_form]
INVALID = {
    contact_form: {"email": "not-an-address"},
    sign_up_form: {"email": "not-an-address"},
    comment_form: {"name": ""},
}


def like_count(post):
    post.refresh_from_db()
    return post.like_count


@pytest.mark.django_db
@pytest.mark.parametrize("form", FORMS)
def test_the_rate_limit_comes_first_and_counts_bots_too(client, post, form):
    url, data = form(post)
    client.post(url, {**data, "website": "x", "started": started_token()})

    response = client.post(url, {**data, "started": started_token()})

    assert response.status_code == 429
    assert "Please wait a moment" in response.text
    assert stored() == 0
    assert like_count(post) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("form", FORMS)
def test_the_bot_trap_comes_before_validation(client, post, form):
    url, data = form(post)
    invalid = {**data, **INVALID.get(form, {}), "website": "x"}

    response = client.post(url, {**invalid, "started": started_token()})

    assert response.status_code == 302
    assert stored() == 0
    assert like_count(post) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("form", [contact_form, sign_up_form, comment_form])
def test_a_person_with_a_mistake_sees_the_form_again(client, post, form):
    url, data = form(post)

    response = client.post(url, {**data, **INVALID[form], "started": started_token()})

    assert response.status_code == 200
    assert stored() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("form", FORMS)
def test_every_public_form_is_stored_when_it_passes_all_three(client, post, form):
    url, data = form(post)

    response = client.post(url, {**data, "started": started_token()})

    assert response.status_code == 302
    assert stored() + like_count(post) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("form", FORMS)
def test_every_public_form_is_limited_by_the_one_switch(client, post, form, settings):
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = False
    url, data = form(post)

    responses = [
        client.post(url, {**data, "started": started_token()}) for _ in range(3)
    ]

    assert [response.status_code for response in responses] == [302] * 3


# The bot trap


class NameForm(BotTrapForm):
    pass


@pytest.mark.parametrize(
    ("data", "is_bot"),
    [
        ({"started": "fresh"}, False),
        ({"started": "fresh", "website": "http://spam.example"}, True),
        ({}, True),
        ({"started": "forged"}, True),
        ({"started": ["a", "list"]}, True),
    ],
)
def test_the_bot_trap_reads_the_honeypot_and_the_fill_time(data, is_bot):
    if data.get("started") == "fresh":
        data["started"] = started_token()

    assert NameForm(data).is_bot() is is_bot


def test_a_bot_never_validates_even_if_nobody_asked(settings):
    form = NameForm({"website": "x", "started": started_token()})

    assert not form.is_valid()


def test_a_form_sent_faster_than_the_minimum_fill_time_is_a_bot(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 3

    assert NameForm({"started": started_token()}).is_bot()


# Cleaning text


@pytest.mark.parametrize(
    ("value", "multiline", "expected"),
    [
        ("Jordan\x00 Lee", False, "Jordan Lee"),
        ("two\nlines", False, "twolines"),
        ("two\nlines\tand\x07bell", True, "two\nlines\tandbell"),
        ("line\u2028separator", False, "lineseparator"),
    ],
)
def test_control_characters_are_cleaned_one_way_everywhere(value, multiline, expected):
    assert clean_control_characters(value, multiline=multiline) == expected


def test_a_line_break_in_a_one_line_field_is_refused():
    with pytest.raises(ValidationError):
        single_line("Jordan\nBcc: victim@example.com")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/about/", "/about/"),
        ("/blog/?utm_source=x&email=a@example.com", "/blog/"),
        ("/blog/#comments", "/blog/"),
        ("//evil.example/", ""),
        ("https://evil.example/", ""),
        ("/a\x00b/", "/ab/"),
    ],
)
def test_a_local_path_is_a_path_of_this_site_without_its_query(value, expected):
    assert local_path(value) == expected


# The Redis backend


@pytest.fixture
def redis_limits(settings, monkeypatch, worker_id):
    """Redis on 127.0.0.1:6379; required in CI, skipped on a laptop without it.

    Each xdist worker counts under keys of its own, so parallel tests never
    see or wipe each other's counters."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("CI must run Redis on 127.0.0.1:6379 for these tests")
        pytest.skip("no Redis on 127.0.0.1:6379")
    settings.REDIS_URL = REDIS_URL
    monkeypatch.setattr(ratelimit, "REDIS_KEY_PREFIX", f"ratelimit-test-{worker_id}:")
    client = redis_client(REDIS_URL)
    client.delete(*client.keys(ratelimit.REDIS_KEY_PREFIX + "*") or ["none"])
    yield client
    client.delete(*client.keys(ratelimit.REDIS_KEY_PREFIX + "*") or ["none"])


@pytest.mark.django_db
def test_with_redis_the_sixth_post_in_the_window_is_refused(redis_limits):
    results = [hit("contact", "192.0.2.1", "5/10m")[0] for _ in range(6)]

    assert results == [True] * 5 + [False]
    assert not RateLimitCounter.objects.exists()


def test_redis_counters_expire_with_their_window(redis_limits):
    hit("contact", "192.0.2.1", "5/10m")

    [key] = redis_limits.keys(ratelimit.REDIS_KEY_PREFIX + "*")
    assert 0 < redis_limits.ttl(key) <= 600
    assert b"192.0.2.1" not in key


def test_with_redis_each_address_has_its_own_count(redis_limits):
    hit("contact", "192.0.2.1", "1/h")

    assert hit("contact", "192.0.2.2", "1/h")[0]


def test_redis_counts_stay_atomic_under_concurrent_posts(redis_limits):
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(hit("contact", "192.0.2.9", "5/10m")[0])
        )
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count(True) == 5


@pytest.mark.django_db
def test_with_redis_the_contact_form_gets_the_same_429_page(client, redis_limits, post):
    url, data = contact_form(post)
    client.post(url, {**data, "started": started_token()})

    response = client.post(url, {**data, "started": started_token()})

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


# Settings


def settings_value(name, **env):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(settings.{name})"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        cwd=BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "clinic_site.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_the_old_switch_names_still_turn_the_limits_off():
    value = settings_value(
        "PUBLIC_FORM_RATE_LIMITS_ENABLED", LEADS_RATE_LIMITS_ENABLED="false"
    )

    assert value == "False"


def test_the_old_per_hour_settings_become_rates():
    assert settings_value("BLOG_LIKE_RATE", BLOG_LIKES_PER_HOUR="7") == "7/h"


def test_the_new_name_wins_over_the_old_one():
    value = settings_value(
        "PUBLIC_FORM_MIN_FILL_SECONDS",
        PUBLIC_FORM_MIN_FILL_SECONDS="5",
        LEADS_MIN_FILL_SECONDS="1",
    )

    assert value == "5.0"

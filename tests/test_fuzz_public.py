"""Property: no request to a public URL or form gets a 5xx.

Hypothesis generates paths, query strings, form bodies, headers and cookies
around every public URL. Examples are bounded and derandomized so the suite
stays fast and repeatable in CI; ``bench/fuzz.py`` sends many more to a live
gunicorn.
"""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.protections import started_token

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text a hostile client can put in a URL or a form: NUL and other controls,
# bidi overrides, astral characters, very long runs.
NASTY = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["\x00", "%00", "\r\n", "\x1b[2J", "\u202e", "𝄞", "[", "'", "-1", "0", ""]
    ),
    st.text(alphabet="0123456789", min_size=15, max_size=40),
    st.just("x" * 5000),
)
LATIN1 = st.text(alphabet=st.characters(max_codepoint=255), max_size=80)
QUERY_KEYS = st.sampled_from(
    ["q", "page", "post", "utm_source", "utm_medium", "utm_campaign", "next", "o"]
) | st.text(max_size=10)
COOKIE_NAMES = st.sampled_from(
    ["csrftoken", "sessionid", "messages", "visit_source", "liked_posts", "x"]
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_REFERER": LATIN1,
        "HTTP_USER_AGENT": LATIN1,
        "HTTP_ACCEPT": st.sampled_from(["application/json", "*/*"]) | LATIN1,
        "HTTP_ACCEPT_LANGUAGE": LATIN1,
        "HTTP_X_FORWARDED_FOR": LATIN1,
        "HTTP_SEC_FETCH_SITE": st.sampled_from(["same-origin", "cross-site"]) | LATIN1,
        "HTTP_IF_MODIFIED_SINCE": LATIN1,
        "HTTP_IF_NONE_MATCH": LATIN1,
        "HTTP_RANGE": LATIN1,
        "HTTP_COOKIE": st.lists(st.tuples(COOKIE_NAMES, LATIN1), max_size=4).map(
            lambda pairs: "; ".join(f"{name}={value}" for name, value in pairs)
        ),
    },
)
CONTENT_TYPES = (
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-16",
            "application/x-www-form-urlencoded; charset=bogus",
            "multipart/form-data; boundary=zz",
            "multipart/form-data",
            "application/json",
            "text/plain",
        ]
    )
    | LATIN1
)


@pytest.fixture
def public_paths(make_post, settings):
    """Every kind of public URL, with real slugs and tokens."""
    from django.contrib.flatpages.models import FlatPage
    from django.contrib.sites.models import Site

    from blog.models import Topic
    from leads import tokens
    from leads.models import Subscriber

    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = False
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0
    topic, _ = Topic.objects.get_or_create(slug="fuzzing", defaults={"name": "Fuzz"})
    post = make_post(topics=[topic])
    page, _ = FlatPage.objects.get_or_create(
        url="/fuzz-page/", defaults={"title": "Fuzz", "content": "<p>Hi</p>"}
    )
    page.sites.add(Site.objects.get_current())
    subscriber = Subscriber.objects.create(email="reader@example.com")
    return [
        "/",
        "/robots.txt",
        "/sitemap.xml",
        "/healthz",
        "/blog/",
        "/blog/feed/",
        "/blog/feed/atom/",
        f"/blog/topic/{topic.slug}/",
        f"/blog/topic/{topic.slug}/feed/",
        f"/blog/author/{post.author.slug}/",
        post.get_absolute_url(),
        f"/blog/{post.slug}/comment/",
        f"/blog/{post.slug}/like/",
        f"/blog/{post.slug}/view/",
        "/contact/",
        "/contact/thanks/",
        "/refer/",
        "/refer/thanks/",
        "/subscribe/",
        "/subscribe/thanks/",
        f"/subscribe/confirm/{tokens.make_confirm_token(subscriber)}/",
        f"/unsubscribe/{tokens.make_unsubscribe_token(subscriber)}/",
        "/subscribe/confirm/garbage/",
        "/unsubscribe/garbage/",
        "/fuzz-page/",
        "/blog/no-such-post/",
    ]


def assert_no_server_error(response):
    assert response.status_code < 500, response.status_code


@FUZZ
@given(data=st.data())
def test_get_with_any_query_headers_and_cookies(public_paths, data):
    path = data.draw(st.sampled_from(public_paths))
    query = data.draw(st.dictionaries(QUERY_KEYS, NASTY, max_size=4))
    headers = data.draw(HEADERS)
    method = data.draw(st.sampled_from(["get", "head", "options"]))

    response = getattr(Client(), method)(path, query, **headers)

    assert_no_server_error(response)


@FUZZ
@given(data=st.data())
def test_any_raw_query_string(public_paths, data):
    path = data.draw(st.sampled_from(public_paths))
    raw = data.draw(st.binary(max_size=200))

    response = Client().get(path, QUERY_STRING=raw.decode("latin-1"))

    assert_no_server_error(response)


@FUZZ
@given(data=st.data())
def test_any_path_below_the_site(db, data):
    segments = data.draw(
        st.lists(
            st.sampled_from(["blog", "topic", "feed", "%00", "%ff"]) | NASTY, max_size=4
        )
    )
    from urllib.parse import quote

    path = "/" + "/".join(quote(segment, safe="%") for segment in segments)

    response = Client().get(path)

    assert_no_server_error(response)


def form_fields(started):
    """Field names of the public forms, with a valid fill-time token sometimes."""
    names = [
        "full_name", "email", "phone", "preferred_contact_method",
        "best_time_to_reach", "interests", "heard_about_us", "message", "consent",
        "post", "source_path", "website", "first_name", "frequency", "name", "body",
        "List-Unsubscribe", "csrfmiddlewaretoken", "referrer_name", "referrer_role",
        "referrer_practice", "referrer_phone", "referrer_email", "referrer_npi",
        "location",
    ]  # fmt: skip
    return st.dictionaries(
        st.sampled_from(names) | st.text(max_size=8),
        NASTY | st.sampled_from(["on", "a@example.com", "+15555550123", "One-Click"]),
        max_size=10,
    ).map(lambda fields: {"started": started, **fields})


@FUZZ
@given(data=st.data())
def test_post_any_form_fields(public_paths, data):
    path = data.draw(st.sampled_from(public_paths))
    fields = data.draw(form_fields(started_token()))
    headers = data.draw(HEADERS)

    response = Client().post(path, fields, **headers)

    assert_no_server_error(response)


@FUZZ
@given(data=st.data())
def test_post_any_body_under_any_content_type(public_paths, data):
    path = data.draw(st.sampled_from(public_paths))
    body = data.draw(st.binary(max_size=300))
    content_type = data.draw(CONTENT_TYPES)
    client = Client(enforce_csrf_checks=data.draw(st.booleans()))

    response = client.generic("POST", path, body, content_type)

    assert_no_server_error(response)

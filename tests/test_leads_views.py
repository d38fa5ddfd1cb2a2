import time
from unittest import mock

import pytest
from django.core import signing
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from blog.models import Author, Post
from core.models import ClinicProfile
from core.protections import started_token
from leads import tokens
from leads.models import Lead, Subscriber
from leads.views import contact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_forms(settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 0
    settings.PUBLIC_FORM_RATE_LIMITS_ENABLED = False


@pytest.fixture
def author():
    return Author.objects.create(display_name="Clinical Team", slug="clinical-team")


@pytest.fixture
def published_post(author):
    return Post.objects.create(
        title="How ketamine works",
        slug="how-ketamine-works",
        body="Text.",
        author=author,
        status=Post.Status.PUBLISHED,
    )


def contact_data(**overrides):
    data = {
        "full_name": "Jordan Lee",
        "email": "jordan@example.com",
        "phone": "(415) 555-2671",
        "preferred_contact_method": "phone",
        "best_time_to_reach": "Mornings",
        "interests": ["depression"],
        "heard_about_us": "Our blog",
        "message": "I would like to know more.",
        "consent": "on",
        "website": "",
        "started": started_token(),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def subscribe_data(**overrides):
    data = {
        "email": "reader@example.com",
        "first_name": "Robin",
        "frequency": "every_post",
        "source_path": "/blog/how-ketamine-works/",
        "website": "",
        "started": started_token(),
    }
    data.update(overrides)
    return data


# --- consultation request ---------------------------------------------------


def test_contact_page_shows_every_field_with_a_visible_label(client):
    response = client.get(reverse("leads:contact"))

    assert response.status_code == 200
    for label in [
        "Full name",
        "Email address",
        "Phone number (optional)",
        "How should we contact you?",
        "Best time to reach you",
        "What would you like help with?",
        "How did you hear about us?",
        "Anything you would like us to know?",
        "I agree that the clinic may contact me",
    ]:
        assert label in response.text


def test_contact_page_says_it_is_not_for_emergencies_and_gives_the_crisis_line(client):
    response = client.get(reverse("leads:contact"))

    assert "not for emergencies" in response.text
    assert 'href="tel:988"' in response.text


def test_contact_page_hides_the_honeypot_from_people(client):
    response = client.get(reverse("leads:contact"))

    assert 'class="visually-hidden-honeypot" aria-hidden="true"' in response.text
    assert 'name="website"' in response.text


def test_contact_request_is_saved_and_redirects_to_the_thanks_page(client):
    response = client.post(reverse("leads:contact"), contact_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:contact_thanks")
    lead = Lead.objects.get()
    assert lead.full_name == "Jordan Lee"
    assert lead.phone == "+14155552671"
    assert lead.interests == ["depression"]
    assert lead.status == Lead.Status.NEW
    assert lead.consented_at is not None


def test_thanks_page_says_what_happens_next(client):
    client.post(reverse("leads:contact"), contact_data())

    response = client.get(reverse("leads:contact_thanks"))

    assert "within one business day" in response.text
    assert "Thank you for reaching out" in response.text


def test_reloading_the_thanks_page_does_not_send_the_request_again(client):
    client.post(reverse("leads:contact"), contact_data(), follow=True)

    client.get(reverse("leads:contact_thanks"))

    assert Lead.objects.count() == 1


def test_contact_request_enqueues_its_emails_with_primary_keys_only(client):
    client.post(reverse("leads:contact"), contact_data())

    lead = Lead.objects.get()
    tasks = DBTaskResult.objects.order_by("task_path")
    assert [t.task_path for t in tasks] == [
        "leads.tasks.send_lead_confirmation",
        "leads.tasks.send_lead_notification",
    ]
    assert all(t.args_kwargs == {"args": [lead.pk], "kwargs": {}} for t in tasks)


def test_invalid_contact_request_shows_errors_next_to_fields_and_keeps_input(client):
    response = client.post(
        reverse("leads:contact"), contact_data(email="not-an-email", consent=None)
    )

    assert response.status_code == 200
    assert 'id="error_1_id_email"' in response.text
    assert "Please agree so that we can contact you." in response.text
    assert 'value="Jordan Lee"' in response.text
    assert "I would like to know more." in response.text
    assert not Lead.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_honeypot_gets_a_normal_answer_and_saves_nothing(client):
    response = client.post(reverse("leads:contact"), contact_data(website="x"))

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:contact_thanks")
    assert not Lead.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_a_form_sent_too_fast_gets_a_normal_answer_and_saves_nothing(client, settings):
    settings.PUBLIC_FORM_MIN_FILL_SECONDS = 3

    response = client.post(reverse("leads:contact"), contact_data())

    assert response.status_code == 302
    assert not Lead.objects.exists()


def test_a_cross_site_form_post_gets_the_sites_403_page():
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(
        reverse("leads:contact"),
        contact_data(),
        headers={"sec-fetch-site": "cross-site", "origin": "https://evil.example"},
    )

    assert response.status_code == 403
    assert "Your form could not be sent" in response.text
    assert not Lead.objects.exists()


def test_contact_view_hides_post_data_from_error_reports(client):
    response = client.post(reverse("leads:contact"), contact_data())

    assert response.wsgi_request.sensitive_post_parameters == "__ALL__"


def test_sign_up_view_hides_post_data_from_error_reports(client):
    response = client.post(reverse("leads:subscribe"), subscribe_data())

    assert response.wsgi_request.sensitive_post_parameters == "__ALL__"


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"interests": "x" * 5000},
        {"full_name": ["a", "b"]},
        {"post": "x" * 5000, "source_path": "//evil.example"},
    ],
)
def test_garbage_posts_never_cause_a_server_error(client, data):
    response = client.post(reverse("leads:contact"), data)

    assert response.status_code in (200, 302)
    assert not Lead.objects.exists()


def test_spam_signals_keep_the_lead_out_of_the_new_queue_without_emails(client):
    client.post(
        reverse("leads:contact"), contact_data(full_name="Buy now www.pills.example")
    )

    lead = Lead.objects.get()
    assert lead.status == Lead.Status.SPAM
    assert not DBTaskResult.objects.exists()


# --- crisis path ------------------------------------------------------------


def test_crisis_language_marks_the_lead_urgent(client):
    client.post(
        reverse("leads:contact"), contact_data(message="I want to end my life.")
    )

    assert Lead.objects.get().is_urgent


def test_crisis_language_puts_crisis_resources_first_on_the_thanks_page(client):
    client.post(
        reverse("leads:contact"), contact_data(message="Thinking about suicide lately")
    )

    response = client.get(reverse("leads:contact_thanks"))

    content = response.text[response.text.index('<main id="main"') :]
    assert content.index('class="crisis-first') < content.index("Thank you")
    assert "Call or text" in content
    assert 'href="tel:911"' in content


def test_crisis_block_is_not_shown_to_the_next_person_on_a_shared_device(client):
    client.post(
        reverse("leads:contact"), contact_data(message="Thinking about suicide lately")
    )
    client.get(reverse("leads:contact_thanks"))

    later_visit = client.get(reverse("leads:contact_thanks"))

    assert 'class="crisis-first' not in later_visit.text


def test_contact_page_ignores_a_malformed_referrer(client):
    response = client.get(reverse("leads:contact"), headers={"referer": "http://[::1"})

    assert response.status_code == 200


def test_ordinary_thanks_page_has_no_crisis_block(client):
    client.post(reverse("leads:contact"), contact_data())

    response = client.get(reverse("leads:contact_thanks"))

    assert "You don't have to wait for us" not in response.text


# --- attribution ------------------------------------------------------------


def test_call_to_action_from_a_post_records_the_post_as_the_source(
    client, published_post
):
    page = client.get(reverse("leads:contact"), {"post": published_post.slug})
    assert f'value="{published_post.slug}"' in page.text

    client.post(
        reverse("leads:contact"),
        contact_data(post=published_post.slug, source_path="/ignored/"),
    )

    lead = Lead.objects.get()
    assert lead.source_post == published_post
    assert lead.source_path == "/blog/how-ketamine-works/"


def test_a_draft_post_is_never_recorded_as_the_source(client, author):
    draft = Post.objects.create(title="Draft", slug="draft", body="x", author=author)

    client.post(reverse("leads:contact"), contact_data(post=draft.slug))

    assert Lead.objects.get().source_post is None


def test_the_page_that_linked_to_the_form_is_recorded(client):
    page = client.get(
        reverse("leads:contact"), headers={"referer": "http://testserver/about/"}
    )
    assert 'value="/about/"' in page.text

    client.post(reverse("leads:contact"), contact_data(source_path="/about/"))

    assert Lead.objects.get().source_path == "/about/"


def test_an_offsite_source_path_is_not_recorded(client):
    client.post(
        reverse("leads:contact"), contact_data(source_path="https://evil.example/")
    )

    assert Lead.objects.get().source_path == ""


def test_the_form_page_fills_attribution_from_its_own_request(client):
    page = client.get(
        reverse("leads:contact"),
        {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "spring"},
        headers={"referer": "https://www.google.com/"},
    )

    assert 'name="utm_source" value="newsletter"' in page.text
    assert 'name="referrer" value="https://www.google.com/"' in page.text
    assert 'name="landing_page" value="/contact/"' in page.text


def test_posted_attribution_fields_are_recorded_on_the_lead(client):
    client.post(
        reverse("leads:contact"),
        contact_data(
            landing_page="/",
            referrer="https://www.google.com/",
            utm_source="newsletter",
            utm_medium="email",
            utm_campaign="spring",
        ),
    )

    lead = Lead.objects.get()
    assert lead.utm_source == "newsletter"
    assert lead.utm_medium == "email"
    assert lead.utm_campaign == "spring"
    assert lead.referrer == "https://www.google.com/"
    assert lead.landing_page == "/"


def test_a_posted_landing_page_is_stored_without_its_query_string(client):
    client.post(
        reverse("leads:contact"),
        contact_data(landing_page="/blog/?email=someone@example.com"),
    )

    assert Lead.objects.get().landing_page == "/blog/"


def test_an_offsite_landing_page_is_not_recorded(client):
    client.post(
        reverse("leads:contact"), contact_data(landing_page="https://evil.example/")
    )

    assert Lead.objects.get().landing_page == ""


def test_an_internal_referrer_is_not_put_in_the_form(client):
    page = client.get(
        reverse("leads:contact"), headers={"referer": "http://testserver/blog/"}
    )

    assert 'name="referrer" value=""' in page.text


def test_attribution_values_are_truncated_to_the_field_length(client):
    client.post(reverse("leads:contact"), contact_data(utm_source="s" * 500))

    assert Lead.objects.get().utm_source == "s" * 100


def test_a_public_page_sets_no_attribution_cookie(client):
    response = client.get("/", {"utm_source": "x"})

    assert not response.cookies


# --- newsletter sign-up -----------------------------------------------------


def test_footer_shows_the_real_sign_up_form(client):
    response = client.get("/")

    assert 'action="/subscribe/"' in response.text
    assert 'id="id_footer_email"' in response.text
    assert 'name="started"' in response.text
    assert 'name="website"' in response.text
    assert 'value="weekly"' in response.text
    assert 'name="first_name"' in response.text


def test_footer_sign_up_shows_the_consent_wording_that_is_stored(client):
    page = client.get("/").text

    client.post(reverse("leads:subscribe"), subscribe_data())

    assert Subscriber.objects.get().consent_text in page


def test_sign_up_box_runs_no_sql(rf, django_assert_num_queries):
    request = rf.get("/blog/some-post/")
    ClinicProfile.current()  # the context processor's cached profile

    with django_assert_num_queries(0):
        html = render_to_string(
            "includes/newsletter_signup.html", {"signup_id": "post"}, request=request
        )

    assert 'id="id_post_email"' in html
    assert 'value="/blog/some-post/"' in html


def test_sign_up_creates_a_pending_subscriber_with_consent_and_source(client):
    response = client.post(reverse("leads:subscribe"), subscribe_data())

    assert response["Location"] == reverse("leads:subscribe_thanks")
    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.first_name == "Robin"
    assert subscriber.source_path == "/blog/how-ketamine-works/"
    assert subscriber.consent_text.startswith("Send me updates about new blog content")
    assert subscriber.consented_at is not None
    assert DBTaskResult.objects.get().task_path.endswith(
        "send_subscription_confirmation"
    )


def test_sign_up_thanks_page_says_to_check_the_inbox(client):
    response = client.post(reverse("leads:subscribe"), subscribe_data(), follow=True)

    assert "Check your inbox" in response.text


def test_sign_up_gives_the_same_answer_for_a_confirmed_subscriber(client):
    Subscriber.objects.create(
        email="reader@example.com", status=Subscriber.Status.CONFIRMED
    )

    response = client.post(reverse("leads:subscribe"), subscribe_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:subscribe_thanks")
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED
    # The same one task as for a new address; it finds nothing to send.
    assert DBTaskResult.objects.count() == 1


def test_signing_up_twice_creates_no_duplicate(client):
    client.post(reverse("leads:subscribe"), subscribe_data())
    client.post(reverse("leads:subscribe"), subscribe_data(email="READER@example.com"))

    assert Subscriber.objects.count() == 1


def test_an_unsubscribed_address_can_sign_up_again_through_a_new_confirmation(client):
    Subscriber.objects.create(
        email="reader@example.com", status=Subscriber.Status.UNSUBSCRIBED
    )

    client.post(reverse("leads:subscribe"), subscribe_data(frequency="weekly"))

    subscriber = Subscriber.objects.get()
    assert subscriber.status == Subscriber.Status.PENDING
    assert subscriber.frequency == "weekly"
    assert DBTaskResult.objects.count() == 1


def test_invalid_sign_up_shows_the_error_on_the_sign_up_page(client):
    response = client.post(reverse("leads:subscribe"), subscribe_data(email="nope"))

    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert not Subscriber.objects.exists()


def test_sign_up_honeypot_gets_a_normal_answer_and_saves_nothing(client):
    response = client.post(reverse("leads:subscribe"), subscribe_data(website="x"))

    assert response["Location"] == reverse("leads:subscribe_thanks")
    assert not Subscriber.objects.exists()


# --- confirmation and unsubscribe links ------------------------------------


@pytest.fixture
def pending():
    return Subscriber.objects.create(email="reader@example.com")


def test_confirmation_link_does_not_carry_the_address(pending):
    url = pending.get_confirm_url()

    payload = url.rstrip("/").rsplit("/", 1)[1].split(":")[0]
    assert "reader" not in signing.b64_decode(payload.encode()).decode()


def test_confirmation_link_for_a_changed_address_is_refused(client, pending):
    url = reverse("leads:subscribe_confirm", args=[tokens.make_confirm_token(pending)])
    Subscriber.objects.filter(pk=pending.pk).update(email="someone.else@example.com")

    response = client.post(url)

    assert response.status_code == 400
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_confirmation_page_shows_the_address_masked(client, pending):
    url = reverse("leads:subscribe_confirm", args=[tokens.make_confirm_token(pending)])

    response = client.get(url)

    assert "r•••@example.com" in response.text
    assert "reader@example.com" not in response.text


def test_unsubscribe_page_shows_the_address_masked(client, pending):
    response = client.get(
        reverse("leads:unsubscribe", args=[tokens.make_unsubscribe_token(pending)])
    )

    assert "r•••@example.com" in response.text
    assert "reader@example.com" not in response.text


def test_unsubscribe_link_carries_a_random_token_not_the_primary_key(pending):
    other = Subscriber.objects.create(email="other@example.com")

    token = pending.get_unsubscribe_url().rstrip("/").rsplit("/", 1)[1]

    assert token == pending.unsubscribe_token
    assert ":" not in token and len(token) >= 22
    assert token != other.unsubscribe_token


def legacy_unsubscribe_path(subscriber):
    legacy = signing.Signer(salt=tokens.UNSUBSCRIBE_SALT).sign_object(subscriber.pk)
    return reverse("leads:unsubscribe", args=[legacy])


def test_an_unsubscribe_link_from_an_email_sent_before_tokens_still_works(
    client, pending
):
    Subscriber.objects.filter(pk=pending.pk).update(has_legacy_unsubscribe_link=True)

    response = client.post(
        legacy_unsubscribe_path(pending), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.UNSUBSCRIBED


def test_a_signed_primary_key_does_not_unsubscribe_a_newer_subscriber(client, pending):
    response = client.post(
        legacy_unsubscribe_path(pending), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 400
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_unsubscribe_link_stays_the_same_over_time(pending):
    first = pending.get_unsubscribe_url()

    with mock.patch("time.time", return_value=time.time() + 3600):
        later = pending.get_unsubscribe_url()

    assert first == later


def test_opening_the_confirmation_link_does_not_confirm(client, pending):
    response = client.get(
        reverse("leads:subscribe_confirm", args=[tokens.make_confirm_token(pending)])
    )

    assert response.status_code == 200
    assert "Confirm my subscription" in response.text
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_pressing_the_confirm_button_confirms(client, pending):
    url = reverse("leads:subscribe_confirm", args=[tokens.make_confirm_token(pending)])

    response = client.post(url, follow=True)

    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.CONFIRMED
    assert pending.confirmed_at is not None
    assert "You're subscribed" in response.text


def test_a_confirmation_link_expires_after_seven_days(client, pending):
    token = tokens.make_confirm_token(pending)
    url = reverse("leads:subscribe_confirm", args=[token])
    eight_days = time.time() + 8 * 86400

    with mock.patch("django.core.signing.time.time", return_value=eight_days):
        response = client.post(url)

    assert response.status_code == 400
    assert "has expired" in response.text
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


@pytest.mark.parametrize(
    "token",
    ["forged", "MQ:abc:def", signing.dumps([1, "reader@example.com"])],
    ids=["forged", "bad-signature", "signed-without-salt"],
)
def test_a_forged_confirmation_link_shows_a_clear_page_and_changes_nothing(
    client, pending, token
):
    response = client.post(reverse("leads:subscribe_confirm", args=[token]))

    assert response.status_code == 400
    assert "This link is not valid" in response.text
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_an_unsubscribe_token_cannot_confirm(client, pending):
    token = tokens.make_unsubscribe_token(pending)

    response = client.post(reverse("leads:subscribe_confirm", args=[token]))

    assert response.status_code == 400


def test_an_old_confirmation_link_cannot_undo_an_unsubscribe(client, pending):
    url = reverse("leads:subscribe_confirm", args=[tokens.make_confirm_token(pending)])
    pending.unsubscribe()

    client.post(url)

    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.UNSUBSCRIBED


def test_unsubscribe_url_is_absolute(pending, settings):
    settings.SITE_URL = "https://clinic.example"

    url = pending.get_unsubscribe_url()

    assert url.startswith("https://clinic.example/unsubscribe/")


def test_opening_the_unsubscribe_link_shows_one_button_and_changes_nothing(
    client, pending
):
    path = reverse("leads:unsubscribe", args=[tokens.make_unsubscribe_token(pending)])

    response = client.get(path)

    assert response.text.count('type="submit"') == 1 + response.text.count(
        'class="newsletter-form"'
    )
    assert ">Unsubscribe</button>" in response.text
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_the_unsubscribe_button_unsubscribes_at_once(pending):
    strict = Client(enforce_csrf_checks=True)
    path = reverse("leads:unsubscribe", args=[tokens.make_unsubscribe_token(pending)])
    page = strict.get(path)
    csrf = page.context["csrf_token"]

    response = strict.post(path, {"csrfmiddlewaretoken": str(csrf)}, follow=True)

    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.UNSUBSCRIBED
    assert pending.unsubscribed_at is not None
    assert "You're unsubscribed" in response.text


def test_one_click_unsubscribe_works_without_a_csrf_token(pending):
    strict = Client(enforce_csrf_checks=True)
    path = reverse("leads:unsubscribe", args=[tokens.make_unsubscribe_token(pending)])

    response = strict.post(path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.UNSUBSCRIBED


def test_one_click_unsubscribe_accepts_multipart_bodies(pending):
    strict = Client(enforce_csrf_checks=True)
    path = reverse("leads:unsubscribe", args=[tokens.make_unsubscribe_token(pending)])

    response = strict.post(
        path,
        data=(
            b'--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
            b"One-Click\r\n--b--\r\n"
        ),
        content_type="multipart/form-data; boundary=b",
    )

    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.UNSUBSCRIBED


def test_any_other_cross_site_post_to_the_unsubscribe_link_is_refused(pending):
    strict = Client(enforce_csrf_checks=True)
    path = reverse("leads:unsubscribe", args=[tokens.make_unsubscribe_token(pending)])

    response = strict.post(
        path,
        {"List-Unsubscribe": "something-else"},
        headers={"origin": "https://evil.example"},
    )

    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_unsubscribe_links_never_expire(client, pending):
    path = reverse("leads:unsubscribe", args=[tokens.make_unsubscribe_token(pending)])
    ten_years = time.time() + 10 * 365 * 86400

    with mock.patch("django.core.signing.time.time", return_value=ten_years):
        response = client.post(path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.parametrize(
    "token",
    ["forged", "MQ:xyz", signing.dumps(1)],
    ids=["forged", "unsigned", "signed-without-salt"],
)
def test_a_forged_unsubscribe_link_shows_a_clear_page_and_changes_nothing(
    client, pending, token
):
    response = client.post(
        reverse("leads:unsubscribe", args=[token]), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 400
    assert "This link is not valid" in response.text
    pending.refresh_from_db()
    assert pending.status == Subscriber.Status.PENDING


def test_a_confirmation_token_cannot_unsubscribe(client, pending):
    token = tokens.make_confirm_token(pending)

    response = client.post(
        reverse("leads:unsubscribe", args=[token]), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 400


def test_contact_view_answers_other_methods_with_405():
    request = RequestFactory().put("/contact/")

    response = contact(request)

    assert response.status_code == 405

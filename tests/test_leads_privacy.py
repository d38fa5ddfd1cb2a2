import json
import logging

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse

from blog.models import Comment
from leads import privacy
from leads.models import Lead, LeadEvent, LeadNote, Subscriber

pytestmark = pytest.mark.django_db

EMAIL = "Riley.Person@Example.org"
PRIVACY = "leads_staff:personal_data"


@pytest.fixture
def person(make_lead, post, django_user_model):
    """Everything stored for one address, plus a bystander's data."""
    staff = django_user_model.objects.create_user("alex", is_staff=True)
    first = make_lead(
        full_name="Riley Person",
        email=EMAIL,
        phone="+15555550123",
        message="Private story",
        best_time_to_reach="Evenings",
        referrer="https://search.example/?q=riley",
        landing_page="/blog/x/?email=riley.person@example.org",
        source_post=post,
        utm_source="newsletter",
        interests=["anxiety"],
    )
    second = make_lead(full_name="Riley P.", email=EMAIL.lower())
    first.change_status(Lead.Status.CONTACTED, by=staff)
    LeadNote.objects.create(lead=first, author=staff, text="Riley asked about cost.")
    LeadNote.objects.create(lead=second, author=staff, text="Duplicate request.")
    subscriber = Subscriber.objects.create(email=EMAIL.lower(), first_name="Riley")
    comment = Comment.objects.create(
        post=post, name="Riley", email=EMAIL.upper(), body="Thank you for this."
    )
    LogEntry.objects.log_actions(
        user_id=staff.pk, queryset=[first], action_flag=CHANGE, change_message="x"
    )
    bystander = make_lead(full_name="Other Person", email="other@example.org")
    LeadNote.objects.create(lead=bystander, text="Not Riley.")
    Comment.objects.create(
        post=post, name="Other", email="other@example.org", body="Hi"
    )
    return {
        "leads": [first, second],
        "subscriber": subscriber,
        "comment": comment,
        "bystander": bystander,
    }


def test_find_gathers_every_record_for_an_address_in_any_case(person):
    found = privacy.find("  riley.person@EXAMPLE.org ")

    assert set(found["leads"]) == set(person["leads"])
    assert len(found["notes"]) == 2
    assert found["subscriber"] == person["subscriber"]
    assert found["comments"] == [person["comment"]]


def test_export_holds_the_persons_data_and_nobody_elses(person):
    data = privacy.export(EMAIL)

    text = json.dumps(data)
    assert len(data["consultation_requests"]) == 2
    assert data["consultation_requests"][0]["message"] == "Private story"
    assert data["consultation_requests"][0]["interests"] == ["Anxiety"]
    assert {n["text"] for n in data["staff_notes"]} == {
        "Riley asked about cost.",
        "Duplicate request.",
    }
    assert data["newsletter_subscription"]["first_name"] == "Riley"
    assert data["blog_comments"][0]["comment"] == "Thank you for this."
    assert "Other Person" not in text and "Not Riley." not in text


def test_erase_removes_the_persons_data_and_keeps_the_statistics(person):
    done = privacy.erase(EMAIL)

    assert done == {"leads": 2, "notes": 2, "subscribers": 1, "comments": 1}
    first = Lead.objects.get(pk=person["leads"][0].pk)
    assert first.full_name == "Anonymized lead"
    assert (first.email, first.phone, first.message) == ("", "", "")
    assert (first.best_time_to_reach, first.referrer, first.landing_page) == (
        "",
        "",
        "",
    )
    assert first.anonymized_at is not None
    assert first.status == Lead.Status.CONTACTED
    assert (first.utm_source, first.interests) == ("newsletter", ["anxiety"])
    assert first.source_post is not None
    assert LeadEvent.objects.filter(lead=first).exists()
    assert not LeadNote.objects.filter(lead__in=person["leads"]).exists()
    assert not Subscriber.objects.filter(email__iexact=EMAIL).exists()
    assert not Comment.objects.filter(email__iexact=EMAIL).exists()
    assert privacy.find(EMAIL)["leads"] == []


def test_erase_leaves_other_people_alone(person):
    privacy.erase(EMAIL)

    bystander = Lead.objects.get(pk=person["bystander"].pk)
    assert bystander.full_name == "Other Person"
    assert bystander.notes.count() == 1
    assert Comment.objects.filter(email="other@example.org").exists()


def test_erase_scrubs_the_name_from_the_admin_change_log(person):
    privacy.erase(EMAIL)

    reprs = list(LogEntry.objects.values_list("object_repr", flat=True))
    assert reprs
    assert not any("Riley" in text for text in reprs)


# The admin page


@pytest.fixture
def privacy_client(admin_client):
    return admin_client


def test_privacy_page_finds_data_by_a_posted_address(privacy_client, person):
    response = privacy_client.post(reverse(PRIVACY), {"email": EMAIL, "do": "find"})

    assert response.status_code == 200
    assert 'id="found-leads">2<' in response.text
    assert 'id="found-notes">2<' in response.text
    assert 'id="found-comments">1<' in response.text
    assert "Pending confirmation" in response.text


def test_privacy_page_downloads_the_data_as_json(privacy_client, person):
    response = privacy_client.post(reverse(PRIVACY), {"email": EMAIL, "do": "export"})

    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    assert len(json.loads(response.content)["consultation_requests"]) == 2


def test_privacy_page_erases_only_when_confirmed(privacy_client, person):
    unconfirmed = privacy_client.post(reverse(PRIVACY), {"email": EMAIL, "do": "erase"})
    assert "Tick the box" in unconfirmed.text
    assert Subscriber.objects.exists()

    confirmed = privacy_client.post(
        reverse(PRIVACY), {"email": EMAIL, "do": "erase", "confirm": "on"}, follow=True
    )

    assert "2 lead(s) anonymized" in confirmed.text
    assert not Subscriber.objects.exists()
    assert EMAIL.lower() not in confirmed.text.lower()


@pytest.mark.parametrize("email", ["", "not-an-address", "x" * 300 + "@example.org"])
def test_privacy_page_rejects_a_bad_address_without_failing(privacy_client, email):
    response = privacy_client.post(reverse(PRIVACY), {"email": email, "do": "erase"})

    assert response.status_code == 200
    assert "errorlist" in response.text


def test_the_lead_list_action_opens_the_privacy_page_for_that_person(
    privacy_client, person
):
    response = privacy_client.post(
        reverse("admin:leads_lead_changelist"),
        {
            "action": "find_personal_data",
            "_selected_action": [lead.pk for lead in person["leads"]],
        },
    )

    assert response.status_code == 200
    assert 'id="found-leads">2<' in response.text
    assert 'value="riley.person@example.org"' in response.text


def test_the_action_refuses_leads_of_several_people(privacy_client, person):
    response = privacy_client.post(
        reverse("admin:leads_lead_changelist"),
        {
            "action": "find_personal_data",
            "_selected_action": [person["leads"][0].pk, person["bystander"].pk],
        },
        follow=True,
    )

    assert "Select the leads of one person" in response.text


def test_privacy_tool_is_forbidden_to_front_desk(client, make_staff, person):
    client.force_login(make_staff("Front desk"))

    page = client.get(reverse(PRIVACY))
    erase = client.post(
        reverse(PRIVACY), {"email": EMAIL, "do": "erase", "confirm": "on"}
    )

    assert page.status_code == 403
    assert erase.status_code == 403
    assert Subscriber.objects.exists()


def test_staff_who_may_look_but_not_delete_cannot_erase(client, make_staff, person):
    user = make_staff(username="viewer")
    for codename in ("view_lead", "view_subscriber", "view_comment"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)

    found = client.post(reverse(PRIVACY), {"email": EMAIL, "do": "find"})
    erase = client.post(
        reverse(PRIVACY), {"email": EMAIL, "do": "erase", "confirm": "on"}
    )

    assert found.status_code == 200
    assert "Erase everything" not in found.text
    assert erase.status_code == 403
    assert Lead.objects.filter(email__iexact=EMAIL).count() == 2


def test_the_address_never_travels_in_a_url(privacy_client, person):
    html = privacy_client.post(reverse(PRIVACY), {"email": EMAIL}).text

    assert 'method="post"' in html
    assert "riley.person%40" not in html.lower()
    assert "?email=" not in html


def test_erasing_logs_counts_but_no_personal_data(privacy_client, person, caplog):
    caplog.set_level(logging.DEBUG)

    privacy_client.post(
        reverse(PRIVACY), {"email": EMAIL, "do": "erase", "confirm": "on"}
    )

    assert "erased" in caplog.text.lower()
    for secret in ("riley", "5555550123", "Private story"):
        assert secret not in caplog.text.lower()


def test_purged_and_erased_leads_show_as_anonymized_in_the_admin(
    privacy_client, person
):
    privacy.erase(EMAIL)
    lead = person["leads"][0]

    html = privacy_client.get(reverse("admin:leads_lead_change", args=[lead.pk])).text

    assert "Anonymized lead" in html
    assert "Riley" not in html

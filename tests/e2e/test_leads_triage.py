"""Front desk works the morning's leads in the admin."""

import re

import pytest
from playwright.sync_api import expect

from leads.models import Lead, LeadEvent, LeadNote

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse 42"


@pytest.fixture
def morning(make_lead, make_staff):
    desk = make_staff("Front desk", username="frontdesk")
    make_lead(full_name="Casey Earlier", status=Lead.Status.CONTACTED)
    make_lead(full_name="Spam Bot", status=Lead.Status.SPAM)
    lead = make_lead(
        full_name="Jordan Rivers",
        interests=["depression"],
        preferred_contact_method=Lead.ContactMethod.PHONE,
        phone="+15555550123",
    )
    return desk, lead


def test_front_desk_filters_assigns_notes_and_contacts_a_lead(site, page, morning):
    desk, lead = morning
    csp_errors = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text
            and csp_errors.append(message.text)
        ),
    )

    page.goto(site + "/admin/login/?next=/admin/")
    page.get_by_label("Username").fill("frontdesk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("#leads-today").get_by_role("link", name="New leads").click()

    results = page.locator("#result_list")
    expect(results).to_contain_text("Jordan Rivers")
    expect(results).not_to_contain_text("Casey Earlier")
    expect(results).not_to_contain_text("Spam Bot")

    page.get_by_role("row").filter(has_text="Jordan Rivers").get_by_role(
        "checkbox"
    ).check()
    page.get_by_role("combobox", name=re.compile("Action")).select_option(
        "assign_to_me"
    )
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("1 lead(s) assigned to you.")).to_be_visible()

    page.get_by_role("link", name="Jordan Rivers").click()
    page.locator('textarea[name="notes-0-text"]').fill("Left a voicemail at 9:10.")
    page.get_by_role("combobox", name="Status").select_option(label="Contacted")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    page.locator("#changelist-filter").get_by_role("link", name="Contacted").click()
    page.get_by_role("link", name="Jordan Rivers").click()
    history = page.locator("#events-group")
    expect(history).to_contain_text("Assignee changed")
    expect(history).to_contain_text("frontdesk")
    expect(history).to_contain_text("Status changed")
    expect(history).to_contain_text("Contacted")
    expect(page.locator("#notes-group")).to_contain_text("Left a voicemail at 9:10.")
    assert csp_errors == []

    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTED
    assert lead.assigned_to == desk
    assert LeadEvent.objects.filter(lead=lead, changed_by=desk).count() == 2
    assert LeadNote.objects.get(lead=lead).author == desk

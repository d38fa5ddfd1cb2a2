import datetime
import zoneinfo

import pytest
from django.core.management import call_command

from leads.models import Lead, LeadEvent, LeadNote
from leads.models.lead import LeadChangedError, overdue_cutoff

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# A Friday afternoon in the clinic's time zone (settings.TIME_ZONE).
FRIDAY_3PM = datetime.datetime(2026, 11, 20, 15, 0, tzinfo=NEW_YORK)


def at(day_offset, hour, minute=0):
    """A moment relative to FRIDAY_3PM's date: at(3, 9) is Monday 09:00."""
    day = FRIDAY_3PM.date() + datetime.timedelta(days=day_offset)
    return datetime.datetime.combine(day, datetime.time(hour, minute), NEW_YORK)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("alex", password="x", is_staff=True)


@pytest.fixture
def colleague(django_user_model):
    return django_user_model.objects.create_user("sam", password="x", is_staff=True)


# Status changes and their history


def test_changing_status_records_who_changed_it_and_when(make_lead, staff):
    lead = make_lead()

    changed = lead.change_status(Lead.Status.CONTACTED, by=staff)

    event = LeadEvent.objects.get(lead=lead)
    assert changed is True
    assert lead.status == Lead.Status.CONTACTED
    assert (event.kind, event.old_value, event.new_value) == (
        "status",
        "new",
        "contacted",
    )
    assert event.changed_by == staff
    assert event.created_at is not None
    assert str(event) == "Status changed: New → Contacted"


def test_setting_the_same_status_again_records_nothing(make_lead, staff):
    lead = make_lead(status=Lead.Status.CONTACTED)

    changed = lead.change_status(Lead.Status.CONTACTED, by=staff)

    assert changed is False
    assert not LeadEvent.objects.exists()


def test_unknown_status_is_refused(make_lead, staff):
    lead = make_lead()

    with pytest.raises(ValueError):
        lead.change_status("bogus", by=staff)


def test_the_whole_path_to_patient_is_recorded_in_order(make_lead, staff):
    lead = make_lead()

    for status in ("contacted", "scheduled", "patient"):
        lead.change_status(status, by=staff)

    steps = list(lead.events.values_list("old_value", "new_value"))
    assert steps == [
        ("new", "contacted"),
        ("contacted", "scheduled"),
        ("scheduled", "patient"),
    ]


@pytest.mark.parametrize("status", ["patient", "not_a_fit", "no_response", "spam"])
def test_a_closed_lead_is_archived_out_of_the_working_list(make_lead, staff, status):
    lead = make_lead()

    lead.change_status(status, by=staff)

    assert lead.is_archived is True
    assert lead.is_closed
    assert lead not in Lead.objects.open()
    assert lead in Lead.objects.closed()
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_reopening_a_closed_lead_brings_it_back_to_the_working_list(make_lead, staff):
    lead = make_lead(status=Lead.Status.SPAM)

    lead.change_status(Lead.Status.NEW, by=staff)

    assert lead.is_archived is False
    assert lead in Lead.objects.open()


def test_open_and_closed_split_every_lead_exactly_once(make_lead):
    for status in Lead.Status.values:
        make_lead(status=status)

    open_ids = set(Lead.objects.open().values_list("pk", flat=True))
    closed_ids = set(Lead.objects.closed().values_list("pk", flat=True))

    assert len(open_ids) == 3
    assert open_ids.isdisjoint(closed_ids)
    assert open_ids | closed_ids == set(Lead.objects.values_list("pk", flat=True))


def test_a_stale_status_change_is_refused_instead_of_overwriting(make_lead, staff):
    lead = make_lead()
    Lead.objects.get(pk=lead.pk).change_status(Lead.Status.SCHEDULED, by=staff)

    with pytest.raises(LeadChangedError):
        lead.change_status(Lead.Status.NOT_A_FIT, by=staff, expected=Lead.Status.NEW)

    lead.refresh_from_db()
    assert lead.status == Lead.Status.SCHEDULED
    assert lead.events.count() == 1


def test_bulk_status_change_records_one_event_per_lead(make_lead, staff):
    leads = [make_lead() for _ in range(3)]
    make_lead(status=Lead.Status.CONTACTED)

    count = Lead.objects.all().change_status(Lead.Status.CONTACTED, by=staff)

    assert count == 3
    assert LeadEvent.objects.count() == 3
    assert {e.lead_id for e in LeadEvent.objects.all()} == {lead.pk for lead in leads}


def test_bulk_status_change_handles_more_leads_than_one_chunk(make_lead, staff):
    Lead.objects.bulk_create(
        Lead(
            full_name="Bulk",
            email="bulk@example.com",
            consent_text="ok",
            consent_version="t",
            consented_at=FRIDAY_3PM,
        )
        for _ in range(1200)
    )

    count = Lead.objects.all().change_status(Lead.Status.SPAM, by=staff)

    assert count == 1200
    assert LeadEvent.objects.count() == 1200
    assert not Lead.objects.open().exists()


# Assignment


def test_assigning_records_old_and_new_assignee(make_lead, staff, colleague):
    lead = make_lead()
    lead.assign(staff, by=staff)

    lead.assign(colleague, by=staff)

    events = list(lead.events.values_list("kind", "old_value", "new_value"))
    assert events == [("assignee", "", "alex"), ("assignee", "alex", "sam")]
    assert lead.assigned_to == colleague
    assert str(lead.events.first()) == "Assignee changed: nobody → alex"


def test_unassigning_is_recorded_too(make_lead, staff):
    lead = make_lead(assigned_to=staff)

    lead.assign(None, by=staff)

    assert lead.assigned_to is None
    assert lead.events.get().new_value == ""


def test_assigning_the_same_person_again_records_nothing(make_lead, staff):
    lead = make_lead(assigned_to=staff)

    assert lead.assign(staff, by=staff) is False
    assert not lead.events.exists()


def test_a_stale_assignment_is_refused(make_lead, staff, colleague):
    lead = make_lead()
    Lead.objects.get(pk=lead.pk).assign(colleague, by=colleague)

    with pytest.raises(LeadChangedError):
        lead.assign(staff, by=staff, expected=None)

    lead.refresh_from_db()
    assert lead.assigned_to == colleague


# Time to first contact


def test_first_contact_time_is_set_when_the_lead_is_first_contacted(make_lead, staff):
    lead = make_lead(created_at=at(0, 9))

    lead.change_status(Lead.Status.CONTACTED, by=staff)

    assert lead.first_contacted_at is not None
    assert lead.time_to_first_contact == lead.first_contacted_at - at(0, 9)


def test_first_contact_time_is_kept_through_later_changes(make_lead, staff):
    lead = make_lead()
    lead.change_status(Lead.Status.CONTACTED, by=staff)
    first = lead.first_contacted_at

    lead.change_status(Lead.Status.SCHEDULED, by=staff)
    lead.change_status(Lead.Status.BECAME_PATIENT, by=staff)

    assert lead.first_contacted_at == first


def test_marking_spam_is_not_a_first_contact(make_lead, staff):
    lead = make_lead()

    lead.change_status(Lead.Status.SPAM, by=staff)

    assert lead.first_contacted_at is None
    assert lead.time_to_first_contact is None


# Overdue: still New after one business day


def test_a_lead_from_friday_afternoon_is_not_overdue_over_the_weekend(make_lead):
    lead = make_lead(created_at=FRIDAY_3PM)

    assert not lead.is_overdue(now=at(1, 15))
    assert not lead.is_overdue(now=at(2, 23, 59))
    assert not lead.is_overdue(now=at(3, 14, 59))


def test_a_lead_from_friday_afternoon_is_overdue_on_monday_afternoon(make_lead):
    lead = make_lead(created_at=FRIDAY_3PM)

    assert lead.is_overdue(now=at(3, 15, 1))
    assert lead in Lead.objects.overdue(now=at(3, 15, 1))


def test_a_lead_from_tuesday_morning_is_overdue_on_wednesday_morning(make_lead):
    tuesday_9am = at(-3, 9)
    lead = make_lead(created_at=tuesday_9am)

    assert not lead.is_overdue(now=at(-2, 8, 59))
    assert lead.is_overdue(now=at(-2, 9, 1))


def test_a_lead_sent_on_saturday_becomes_overdue_when_monday_ends(make_lead):
    lead = make_lead(created_at=at(1, 11))

    assert not lead.is_overdue(now=at(3, 23, 59))
    assert lead.is_overdue(now=at(4, 0, 1))


def test_the_overdue_window_is_configurable(make_lead, settings):
    settings.LEADS_OVERDUE_BUSINESS_HOURS = 4
    lead = make_lead(created_at=at(3, 9))

    assert not lead.is_overdue(now=at(3, 12, 59))
    assert lead.is_overdue(now=at(3, 13, 1))


def test_a_contacted_lead_is_never_overdue(make_lead):
    lead = make_lead(created_at=at(-30, 9), status=Lead.Status.CONTACTED)

    assert not lead.is_overdue(now=FRIDAY_3PM)
    assert not Lead.objects.overdue(now=FRIDAY_3PM).exists()


def test_the_overdue_cutoff_skips_the_weekend_across_a_daylight_saving_change():
    monday_10am = datetime.datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK)

    cutoff = overdue_cutoff(now=monday_10am, business_hours=24)

    assert cutoff == datetime.datetime(2026, 3, 6, 10, 0, tzinfo=NEW_YORK)


def test_the_sql_overdue_filter_agrees_with_the_python_check(make_lead):
    now = at(3, 16)
    for day in range(-6, 4):
        for hour in (0, 8, 15, 23):
            make_lead(created_at=at(day, hour))

    in_sql = set(Lead.objects.overdue(now=now).values_list("pk", flat=True))
    in_python = {lead.pk for lead in Lead.objects.all() if lead.is_overdue(now=now)}
    annotated = {
        lead.pk for lead in Lead.objects.with_overdue(now=now) if lead.is_overdue_now
    }

    assert in_sql == in_python == annotated
    assert 0 < len(in_sql) < Lead.objects.count()


# Interests (a JSON list) filter on SQLite and PostgreSQL alike


def test_leads_can_be_filtered_by_one_interest(make_lead):
    both = make_lead(interests=["depression", "ptsd"])
    make_lead(interests=["anxiety"])
    make_lead(interests=[])
    chronic = make_lead(interests=["chronic_pain"])

    assert list(Lead.objects.with_interest("ptsd")) == [both]
    assert list(Lead.objects.with_interest("chronic_pain")) == [chronic]
    assert not Lead.objects.with_interest("pain").exists()


# Notes


def test_notes_from_two_people_are_both_kept(make_lead, staff, colleague):
    lead = make_lead()

    LeadNote.objects.create(lead=lead, author=staff, text="Left a voicemail.")
    LeadNote.objects.create(lead=lead, author=colleague, text="Called back.")

    assert [n.author for n in lead.notes.all()] == [staff, colleague]


# Retention


def test_purge_anonymizes_only_closed_leads_past_the_retention_period(make_lead):
    old = datetime.datetime(2020, 1, 6, 9, tzinfo=NEW_YORK)
    closed_old = make_lead(
        status=Lead.Status.NOT_A_FIT, created_at=old, phone="+15555550100"
    )
    LeadNote.objects.create(lead=closed_old, text="Prefers mornings.")
    open_old = make_lead(status=Lead.Status.CONTACTED, created_at=old)
    closed_recent = make_lead(status=Lead.Status.SPAM)

    call_command("purge_leads")

    closed_old.refresh_from_db()
    assert closed_old.full_name == "Anonymized lead"
    assert (closed_old.email, closed_old.phone, closed_old.message) == ("", "", "")
    assert closed_old.anonymized_at is not None
    assert closed_old.status == Lead.Status.NOT_A_FIT
    assert not closed_old.notes.exists()
    open_old.refresh_from_db()
    closed_recent.refresh_from_db()
    assert open_old.anonymized_at is None and "@" in open_old.email
    assert closed_recent.anonymized_at is None


def test_anonymizing_erases_an_attached_self_check_and_the_referrers_details(
    make_lead,
):
    referral = make_lead(
        kind=Lead.Kind.REFERRAL,
        referrer_name="Dr. Ada Byrne",
        referrer_practice="Byrne Psychiatry",
        referrer_phone="+15555550111",
        referrer_email="ada@byrne.example",
        referrer_npi="1234567893",
        self_check={"scores": [{"instrument": "PHQ-9", "total": 21}], "crisis": True},
    )

    Lead.objects.filter(pk=referral.pk).anonymize()

    referral.refresh_from_db()
    assert referral.self_check is None
    assert (
        referral.referrer_name,
        referral.referrer_practice,
        referral.referrer_phone,
        referral.referrer_email,
        referral.referrer_npi,
    ) == ("", "", "", "", "")
    assert referral.kind == Lead.Kind.REFERRAL


def test_purge_dry_run_changes_nothing(make_lead, capsys):
    lead = make_lead(
        status=Lead.Status.SPAM,
        created_at=datetime.datetime(2020, 1, 6, tzinfo=NEW_YORK),
    )

    call_command("purge_leads", "--dry-run")

    lead.refresh_from_db()
    assert lead.anonymized_at is None
    assert "1 closed lead(s)" in capsys.readouterr().out


def test_purge_follows_the_retention_setting(make_lead, settings):
    settings.LEADS_RETENTION_DAYS = 10
    lead = make_lead(
        status=Lead.Status.SPAM,
        created_at=datetime.datetime.now(tz=NEW_YORK) - datetime.timedelta(days=11),
    )

    call_command("purge_leads")

    lead.refresh_from_db()
    assert lead.anonymized_at is not None


def test_purge_twice_is_harmless(make_lead):
    make_lead(
        status=Lead.Status.SPAM,
        created_at=datetime.datetime(2020, 1, 6, tzinfo=NEW_YORK),
    )
    call_command("purge_leads")
    first = Lead.objects.get().anonymized_at

    call_command("purge_leads")

    assert Lead.objects.get().anonymized_at == first

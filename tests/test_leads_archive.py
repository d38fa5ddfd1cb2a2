"""Archived is what the status says, and the one routine behind every
status change and assignment locks, compares, updates and records."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leads.models import Lead, LeadEvent, queryset
from leads.models.lead import NOT_CHECKED, LeadChangedError

BEFORE = [("leads", "0004_subscriber_unsubscribe_token")]
AFTER = [("leads", "0005_archived_is_derived_from_status")]


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("alex", is_staff=True)


# Archived is derived from the status


@pytest.mark.django_db
@pytest.mark.parametrize("status", Lead.Status.values)
def test_a_lead_is_archived_exactly_when_its_status_is_closed(make_lead, status):
    lead = make_lead(status=status)

    archived = status not in Lead.OPEN_STATUSES
    assert lead.is_archived is archived
    assert Lead.objects.closed().filter(pk=lead.pk).exists() is archived
    assert Lead.objects.open().filter(pk=lead.pk).exists() is not archived


@pytest.mark.django_db
def test_archiving_by_hand_is_a_status_change_with_its_history(make_lead, staff):
    lead = make_lead(status=Lead.Status.CONTACTED)

    lead.change_status(Lead.Status.ARCHIVED, by=staff)

    assert lead.is_archived
    assert lead in Lead.objects.closed()
    assert str(lead.events.get()) == "Status changed: Contacted → Archived"


@pytest.mark.django_db
def test_archiving_does_not_count_as_contacting_the_person(make_lead, staff):
    lead = make_lead()

    lead.change_status(Lead.Status.ARCHIVED, by=staff)

    assert lead.first_contacted_at is None


# The shared routine


@pytest.mark.django_db
def test_status_and_assignee_both_go_through_apply_change(make_lead, staff):
    lead = make_lead()

    Lead.objects.filter(pk=lead.pk).apply_change(
        "assigned_to_id", staff.pk, by=staff, expected=None, kind="assignee"
    )
    Lead.objects.filter(pk=lead.pk).apply_change(
        "status", "scheduled", by=staff, expected="new", kind="status"
    )

    lead.refresh_from_db()
    assert (lead.status, lead.assigned_to) == ("scheduled", staff)
    assert list(lead.events.values_list("kind", "new_value", "changed_by")) == [
        ("assignee", str(staff.pk), staff.pk),
        ("status", "scheduled", staff.pk),
    ]


@pytest.mark.django_db
def test_a_stale_expected_value_raises_and_writes_nothing(make_lead, staff):
    leads = [make_lead(), make_lead(), make_lead(status=Lead.Status.CONTACTED)]

    with pytest.raises(LeadChangedError):
        Lead.objects.filter(pk__in=[lead.pk for lead in leads]).change_status(
            Lead.Status.SPAM, by=staff, expected=Lead.Status.NEW
        )

    assert set(Lead.objects.values_list("status", flat=True)) == {"new", "contacted"}
    assert not LeadEvent.objects.exists()


@pytest.mark.django_db
def test_a_stale_expected_assignee_raises_across_chunks(make_lead, staff, monkeypatch):
    monkeypatch.setattr(queryset, "CHUNK_SIZE", 2)
    first, *_, last = [make_lead() for _ in range(5)]
    Lead.objects.filter(pk=last.pk).update(assigned_to=staff)

    with pytest.raises(LeadChangedError):
        Lead.objects.all().assign(staff, by=staff, expected=None)

    # The first leads, locked and checked before the stale one, are not
    # changed either: the whole change is one transaction.
    first.refresh_from_db()
    assert first.assigned_to is None
    assert not LeadEvent.objects.exists()


@pytest.mark.django_db
def test_without_an_expected_value_the_change_is_not_compared(make_lead, staff):
    lead = make_lead(status=Lead.Status.CONTACTED)

    changed = Lead.objects.filter(pk=lead.pk).apply_change(
        "status", "spam", by=staff, expected=NOT_CHECKED, kind="status"
    )

    assert changed == 1


@pytest.mark.django_db
def test_leads_already_at_the_new_value_get_no_event(make_lead, staff):
    make_lead(status=Lead.Status.SPAM)
    make_lead()

    count = Lead.objects.all().change_status(Lead.Status.SPAM, by=staff)

    assert count == 1
    assert LeadEvent.objects.get().old_value == "new"


@pytest.mark.django_db
def test_each_changed_lead_gets_one_event_naming_who(make_lead, staff):
    make_lead(), make_lead()

    Lead.objects.all().assign(staff, by=staff)

    assert list(LeadEvent.objects.values_list("old_value", "new_value")) == [
        ("", "alex"),
        ("", "alex"),
    ]
    assert set(LeadEvent.objects.values_list("changed_by", flat=True)) == {staff.pk}


# The migration that stopped storing "archived"


def make_old_lead(apps, status, is_archived):
    return apps.get_model("leads", "Lead").objects.create(
        full_name="Old",
        email="old@example.com",
        consent_text="ok",
        consent_version="t",
        consented_at="2026-01-05T10:00:00Z",
        status=status,
        is_archived=is_archived,
    )


@pytest.fixture
def executor(transactional_db):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    yield executor
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_leads_archived_before_the_migration_stay_archived(executor):
    old = executor.loader.project_state(BEFORE).apps
    shelved = make_old_lead(old, "contacted", True).pk
    closed = make_old_lead(old, "patient", True).pk
    working = make_old_lead(old, "new", False).pk

    new = migrate(AFTER)
    Lead = new.get_model("leads", "Lead")

    statuses = dict(Lead.objects.values_list("pk", "status"))
    assert statuses == {shelved: "archived", closed: "patient", working: "new"}
    event = new.get_model("leads", "LeadEvent").objects.get()
    assert (event.lead_id, event.old_value, event.new_value) == (
        shelved,
        "contacted",
        "archived",
    )


def test_the_migration_can_be_reversed(executor):
    old = executor.loader.project_state(BEFORE).apps
    shelved = make_old_lead(old, "contacted", True).pk
    closed = make_old_lead(old, "spam", False).pk
    working = make_old_lead(old, "scheduled", False).pk
    migrate(AFTER)

    old = migrate(BEFORE)

    rows = old.get_model("leads", "Lead").objects.values_list(
        "pk", "status", "is_archived"
    )
    assert set(rows) == {
        (shelved, "contacted", True),
        (closed, "spam", True),
        (working, "scheduled", False),
    }
    assert not old.get_model("leads", "LeadEvent").objects.exists()

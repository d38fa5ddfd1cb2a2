"""A database made by the previous layout upgrades and keeps every row.

Until 2026-12 the clinic profile lived in the project package and the
newsletter's models in ``leads``. Django's migration executor takes the test
database back to what those migrations left, the test fills every table, and
the executor migrates it to today's layout, as ``migrate`` would on upgrade.
"""

import datetime
import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

PREVIOUS_LAYOUT = [
    ("clinic_site", "0001_initial"),
    ("blog", "0002_default_topics"),
    ("leads", "0002_roles"),
    ("core", None),
    ("newsletter", None),
]


def fill_previous_layout(apps):
    """One row of each kind, as the previous code would have written them,
    and the staff groups as its roles migration made them."""
    now = timezone.now()
    roles = importlib.import_module("leads.migrations.0002_roles")
    roles.remove_roles(apps, None)
    roles.create_roles(apps, None)
    apps.get_model("clinic_site", "ClinicProfile").objects.create(
        pk=1, name="Riverside Ketamine Care", phone="(555) 010-7788"
    )
    author = apps.get_model("blog", "Author").objects.create(
        display_name="Clinical Team", slug="clinical-team"
    )
    post = apps.get_model("blog", "Post").objects.create(
        title="What a first infusion is like",
        slug="first-infusion",
        author=author,
        status="published",
        published_at=now,
    )
    apps.get_model("blog", "Comment").objects.create(
        post=post, name="Sam", body="Thank you for explaining this."
    )
    lead = apps.get_model("leads", "Lead").objects.create(
        full_name="Alex Example",
        email="alex@example.com",
        consent_text="I agree.",
        consent_version="2026-01",
        consented_at=now,
        source_post=post,
    )
    apps.get_model("leads", "LeadNote").objects.create(lead=lead, text="Called.")
    apps.get_model("leads", "LeadEvent").objects.create(
        lead=lead, kind="status", old_value="new", new_value="contacted"
    )
    subscriber = apps.get_model("leads", "Subscriber").objects.create(
        email="reader@example.com", status="confirmed"
    )
    apps.get_model("leads", "PostAnnouncement").objects.create(
        post=post, recipient_count=1, recipients_listed_at=now
    )
    digest = apps.get_model("leads", "DigestRun").objects.create(
        week_start=datetime.date(2026, 11, 16), post_count=1, recipient_count=1
    )
    Delivery = apps.get_model("leads", "Delivery")
    Delivery.objects.create(post=post, subscriber=subscriber, status="sent")
    Delivery.objects.create(digest=digest, subscriber=subscriber, status="queued")
    return {"post": post.pk, "lead": lead.pk, "subscriber": subscriber.pk}


@pytest.fixture
def upgraded(transactional_db):
    """(pks of the rows made before, the app registry after the upgrade)."""
    executor = MigrationExecutor(connection)
    executor.migrate(PREVIOUS_LAYOUT)
    with connection.schema_editor() as editor:  # as before: no cache table
        editor.execute(f"DROP TABLE {editor.quote_name('clinic_cache')}")
    old_apps = executor.loader.project_state(
        [target for target in PREVIOUS_LAYOUT if target[1]]
    ).apps
    pks = fill_previous_layout(old_apps)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    return pks, executor.loader.project_state().apps


def test_every_row_survives_the_move_to_the_new_apps(upgraded):
    pks, apps = upgraded
    Delivery = apps.get_model("newsletter", "Delivery")

    profile = apps.get_model("core", "ClinicProfile").objects.get()
    lead = apps.get_model("leads", "Lead").objects.get(pk=pks["lead"])
    post = apps.get_model("blog", "Post").objects.get(pk=pks["post"])
    announcement = apps.get_model("newsletter", "PostAnnouncement").objects.get()
    digest = apps.get_model("newsletter", "DigestRun").objects.get()

    assert (profile.pk, profile.name) == (1, "Riverside Ketamine Care")
    assert lead.full_name == "Alex Example"
    assert lead.source_post_id == pks["post"]
    assert lead.notes.get().text == "Called."
    assert lead.events.get().new_value == "contacted"
    assert apps.get_model("leads", "Subscriber").objects.get().pk == pks["subscriber"]
    assert post.comments.get().name == "Sam"
    assert dict(Delivery.objects.values_list("post_id", "status")) == {
        pks["post"]: "sent",
        None: "queued",
    }
    assert set(Delivery.objects.values_list("subscriber_id", flat=True)) == {
        pks["subscriber"]
    }
    assert announcement.post_id == pks["post"]
    assert digest.recipient_count == 1


def test_subscribers_from_before_keep_their_old_unsubscribe_links(upgraded):
    pks, apps = upgraded

    subscriber = apps.get_model("leads", "Subscriber").objects.get()

    assert len(subscriber.unsubscribe_token) >= 22
    assert subscriber.has_legacy_unsubscribe_link


def test_migrate_alone_creates_the_cache_table(upgraded):
    assert "clinic_cache" in connection.introspection.table_names()


def test_permissions_follow_the_models_to_their_new_apps(upgraded):
    _, apps = upgraded
    Group = apps.get_model("auth", "Group")
    ContentType = apps.get_model("contenttypes", "ContentType")

    editors = set(
        Group.objects.get(name="Editors").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    left_behind = ContentType.objects.filter(
        app_label__in=["leads", "clinic_site"],
        model__in=["delivery", "digestrun", "postannouncement", "postmailing"]
        + ["clinicprofile"],
    )

    assert ("newsletter", "view_postmailing") in editors
    assert ("newsletter", "change_postmailing") in editors
    assert not left_behind.exists()


def test_a_site_migrated_with_redis_still_gets_the_cache_table_it_falls_back_to(
    transactional_db, settings
):
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0006_clinicprofile_logo_renditions")])
    with connection.schema_editor() as editor:
        editor.execute(f"DROP TABLE {editor.quote_name('clinic_cache')}")
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/13",  # used by no other test
        },
    }

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert "clinic_cache" in connection.introspection.table_names()

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.urls import reverse

from leads.models import Lead, LeadNote

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("roles")]

BLOG_MODELS = ["post", "topic", "comment", "author"]


def codenames(group_name):
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


def test_front_desk_group_has_exactly_the_lead_permissions():
    assert codenames("Front desk") == {
        "leads.view_lead",
        "leads.change_lead",
        "leads.export_lead",
        "leads.view_leadnote",
        "leads.add_leadnote",
        "leads.view_leadevent",
        "leads.view_blockeddomain",
        "leads.add_blockeddomain",
        "leads.change_blockeddomain",
    }


def test_editors_group_has_every_blog_permission_and_the_post_mailings():
    permissions = codenames("Editors")

    for model in BLOG_MODELS:
        for action in ("add", "change", "delete", "view"):
            assert f"blog.{action}_{model}" in permissions
    assert {name for name in permissions if not name.startswith("blog.")} == {
        "newsletter.view_postmailing",
        "newsletter.change_postmailing",
    }


def test_the_roles_migration_can_be_reversed_and_reapplied():
    roles = importlib.import_module("leads.migrations.0002_roles")

    roles.remove_roles(apps, None)
    assert not Group.objects.filter(name__in=["Front desk", "Editors"]).exists()

    roles.create_roles(apps, None)
    assert "leads.change_lead" in codenames("Front desk")
    assert "blog.change_post" in codenames("Editors")


# Front desk: works leads, deletes nothing, no blog editing


@pytest.fixture
def desk_client(client, make_staff):
    client.force_login(make_staff("Front desk"))
    return client


@pytest.mark.parametrize(
    "name",
    [
        "admin:leads_lead_changelist",
        "leads_staff:dashboard",
        "admin:leads_lead_export",
        "admin:leads_blockeddomain_changelist",
        "admin:index",
    ],
)
def test_front_desk_can_open_its_pages(desk_client, name):
    assert desk_client.get(reverse(name)).status_code == 200


def test_front_desk_can_open_and_change_a_lead(desk_client, form_data, make_lead):
    lead = make_lead()
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    data = form_data(desk_client.get(url).text, "lead_form")

    response = desk_client.post(
        url, {**data, "status": "contacted", "notes-0-text": "Called."}
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTED
    assert LeadNote.objects.get().text == "Called."


def test_front_desk_cannot_delete_a_lead(desk_client, make_lead):
    lead = make_lead()

    page = desk_client.get(reverse("admin:leads_lead_delete", args=[lead.pk]))
    action = desk_client.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "delete_selected", "_selected_action": [lead.pk], "post": "yes"},
    )

    assert page.status_code == 403
    assert action.status_code in (200, 302)
    assert Lead.objects.filter(pk=lead.pk).exists()
    listing = desk_client.get(reverse("admin:leads_lead_changelist")).text
    assert "delete_selected" not in listing


def test_front_desk_cannot_edit_or_delete_notes(desk_client, make_lead):
    lead = make_lead()
    LeadNote.objects.create(lead=lead, text="Original note")

    html = desk_client.get(reverse("admin:leads_lead_change", args=[lead.pk])).text

    assert "Original note" in html
    assert 'name="notes-0-text"' not in html
    assert 'name="notes-0-DELETE"' not in html


@pytest.mark.parametrize(
    "url",
    [
        *[reverse(f"admin:blog_{model}_changelist") for model in BLOG_MODELS],
        reverse("admin:blog_post_add"),
        reverse("admin:leads_subscriber_changelist"),
        reverse("leads_staff:personal_data"),
        reverse("admin:auth_user_changelist"),
    ],
)
def test_front_desk_is_refused_the_blog_subscribers_and_privacy_tools(desk_client, url):
    assert desk_client.get(url).status_code == 403


def test_front_desk_sees_the_leads_shortcuts_on_the_admin_home(desk_client):
    html = desk_client.get(reverse("admin:index")).text

    assert 'id="leads-today"' in html
    assert "Blog" not in html.split('id="content-main"')[1].split("</div>")[0]


# Editors: the blog, and no leads


@pytest.fixture
def editor_client(client, make_staff):
    client.force_login(make_staff("Editors"))
    return client


@pytest.mark.parametrize("model", BLOG_MODELS)
def test_editors_can_work_every_part_of_the_blog(editor_client, model):
    response = editor_client.get(reverse(f"admin:blog_{model}_changelist"))

    assert response.status_code == 200


def test_editors_can_add_a_post(editor_client):
    assert editor_client.get(reverse("admin:blog_post_add")).status_code == 200


@pytest.mark.parametrize(
    "name",
    [
        "admin:leads_lead_changelist",
        "leads_staff:dashboard",
        "admin:leads_lead_export",
        "leads_staff:personal_data",
        "admin:leads_subscriber_changelist",
        "admin:leads_blockeddomain_changelist",
    ],
)
def test_editors_are_refused_every_lead_page(editor_client, name):
    assert editor_client.get(reverse(name)).status_code == 403


def test_editors_can_follow_post_mailings(editor_client):
    response = editor_client.get(reverse("admin:newsletter_postmailing_changelist"))

    assert response.status_code == 200


def test_editors_cannot_open_a_lead(editor_client, make_lead):
    lead = make_lead()

    response = editor_client.get(reverse("admin:leads_lead_change", args=[lead.pk]))

    assert response.status_code == 403


def test_editors_see_no_lead_shortcuts_on_the_admin_home(editor_client):
    html = editor_client.get(reverse("admin:index")).text

    assert 'id="leads-today"' not in html
    assert reverse("admin:leads_lead_changelist") not in html


# Everyone else


def test_staff_without_permission_get_a_whole_403_page(client, make_staff, make_lead):
    client.force_login(make_staff())
    lead = make_lead(full_name="Hidden Person")

    for url in (
        reverse("admin:leads_lead_changelist"),
        reverse("admin:leads_lead_change", args=[lead.pk]),
        reverse("leads_staff:dashboard"),
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert "This action isn't allowed" in response.text
        assert response.text.rstrip().endswith("</html>")
        assert "Hidden Person" not in response.text


def test_visitors_are_sent_to_the_admin_login(client):
    response = client.get(reverse("leads_staff:dashboard"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]

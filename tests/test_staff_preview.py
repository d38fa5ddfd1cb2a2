"""Unpublished posts are previewed by the people who edit posts, nobody else."""

import pytest
from django.urls import reverse

from blog.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(make_post):
    return make_post(title="Work in progress", status=Post.Status.DRAFT)


def preview(client, post):
    return client.get(reverse("blog:post_preview", args=[post.pk]))


def test_front_desk_cannot_preview_a_draft(client, make_staff, draft):
    client.force_login(make_staff("Front desk"))

    response = preview(client, draft)

    assert response.status_code == 403
    assert "Work in progress" not in response.text


def test_editors_can_preview_a_draft(client, make_staff, draft):
    client.force_login(make_staff("Editors"))

    response = preview(client, draft)

    assert response.status_code == 200
    assert "Work in progress" in response.text


def test_superusers_can_preview_a_draft(admin_client, draft):
    response = preview(admin_client, draft)

    assert response.status_code == 200


def test_editors_without_a_second_factor_cannot_preview_when_one_is_required(
    client, make_staff, draft, settings
):
    settings.STAFF_MFA_REQUIRED = True
    client.force_login(make_staff("Editors"))

    response = preview(client, draft)

    assert response["Location"] == reverse("mfa_index")

"""A page that needs the database says so calmly while it is unreachable."""

from unittest import mock

import pytest
from django.db import OperationalError, ProgrammingError
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_lost_database_connection_gives_a_calm_503_with_the_crisis_line(client):
    with mock.patch(
        "blog.views.PostListView.get_queryset",
        side_effect=OperationalError("server closed the connection"),
    ):
        response = client.get(reverse("blog:post_list"))

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert 'href="tel:988"' in response.text
    assert reverse("leads:contact") in response.text


def test_a_programming_error_is_not_mistaken_for_an_outage(client):
    client.raise_request_exception = False
    with mock.patch(
        "blog.views.PostListView.get_queryset",
        side_effect=ProgrammingError("relation does not exist"),
    ):
        response = client.get(reverse("blog:post_list"))

    assert response.status_code == 500

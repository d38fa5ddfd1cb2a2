"""Every admin list answers bad query strings with a 4xx or Django's ``?e=1``.

Runs over every ModelAdmin in ``admin.site._registry``, so a new admin is
covered without a new test.
"""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

REGISTERED = sorted(
    (model._meta.label, model_admin)
    for model, model_admin in admin.site._registry.items()
)
REGISTERED = [pytest.param(model_admin, id=label) for label, model_admin in REGISTERED]


def changelist_url(model_admin):
    meta = model_admin.model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")


def refused_or_reset(response):
    """A 4xx, or the redirect to the unfiltered list Django uses for bad lookups."""
    if response.status_code == 302:
        return response["Location"].endswith("?e=1")
    return 400 <= response.status_code < 500


@pytest.fixture
def superuser_client(db, django_user_model):
    user = django_user_model.objects.create_superuser(
        "root", "root@clinic.example", "correct horse 42"
    )
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def field_lookups(model_admin):
    """``<field>__regex=[``-style lookups on the model's own fields."""
    for field in model_admin.model._meta.concrete_fields:
        yield field.name


@pytest.mark.parametrize("model_admin", REGISTERED)
def test_an_invalid_regex_lookup_is_refused(superuser_client, model_admin):
    url = changelist_url(model_admin)
    for name in field_lookups(model_admin):
        for lookup in ("regex", "iregex"):
            response = superuser_client.get(url, {f"{name}__{lookup}": "["})

            assert refused_or_reset(response), (name, lookup, response.status_code)


BAD_VALUES = [
    "99999999999999999999999999",
    "[",
    "x" * 3000,
    "-1",
    "2026-13-45",
    "é€𝄞\u202e",
    "' OR 1=1 --",
    "",
]


def list_parameters(model_admin):
    """Search, ordering, paging, date drill-down and a few lookups per kind of field."""
    parameters = ["q", "o", "p", "all", "_to_field", "_popup", "id__in", "pk"]
    seen_kinds = set()
    for field in model_admin.model._meta.concrete_fields:
        kind = field.get_internal_type()
        if kind in seen_kinds:
            continue
        seen_kinds.add(kind)
        parameters += [field.name, f"{field.name}__gte", f"{field.name}__in"]
    if model_admin.date_hierarchy:
        parameters += [
            f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")
        ]
    return parameters


@pytest.mark.parametrize("model_admin", REGISTERED)
def test_bad_values_in_list_parameters_are_refused_or_ignored(
    superuser_client, model_admin
):
    url = changelist_url(model_admin)
    for number, parameter in enumerate(list_parameters(model_admin)):
        for value in (BAD_VALUES[number % 8], BAD_VALUES[(number + 3) % 8]):
            response = superuser_client.get(url, {parameter: value})

            assert response.status_code < 500, (parameter, value[:20])


@pytest.mark.parametrize("model_admin", REGISTERED)
def test_a_nul_byte_in_any_list_parameter_gets_400(superuser_client, model_admin):
    url = changelist_url(model_admin)
    for parameter in list_parameters(model_admin):
        response = superuser_client.get(url, {parameter: "a\x00b"})

        assert response.status_code == 400, parameter


@pytest.mark.parametrize("model_admin", REGISTERED)
def test_the_list_filters_offered_on_the_page_survive_bad_values(
    superuser_client, model_admin
):
    """The parameter names the page's own filter links use, with bad values."""
    import re
    from html import unescape

    url = changelist_url(model_admin)
    page = superuser_client.get(url).content.decode()
    names = {
        unescape(name)
        for name in re.findall(r'href="\?([^"=&]+)=', page)
        if not name.startswith("e")
    }
    for name in names:
        for value in ("[", "99999999999999999999", "-5"):
            response = superuser_client.get(url, {name: value})

            assert response.status_code < 500, (name, value, response.status_code)


@pytest.mark.django_db
def test_the_admin_list_still_works_after_a_refused_lookup(superuser_client):
    url = reverse("admin:blog_topic_changelist")
    superuser_client.get(url, {"name__gte": "\x00"})
    superuser_client.get(url, {"name__regex": "["})

    assert superuser_client.get(url).status_code == 200


def guard_answer(rf, path, exception):
    """What the guard's safety net answers when an admin page raised."""
    from django.urls import resolve

    from core.request_guards import RequestGuardMiddleware

    request = rf.get(path)
    request.resolver_match = resolve(request.path_info)
    return RequestGuardMiddleware(lambda request: None).process_exception(
        request, exception
    )


@pytest.mark.django_db
def test_a_list_whose_query_the_database_refuses_goes_back_to_the_unfiltered_list(
    rf,
):
    from django.db import DataError

    response = guard_answer(rf, "/admin/blog/topic/?name__gte=x", DataError())

    assert response.status_code == 302
    assert response["Location"] == "/admin/blog/topic/?e=1"


@pytest.mark.django_db
def test_a_refused_query_on_the_reset_list_or_another_admin_page_gets_400(rf):
    from django.db import DataError

    assert guard_answer(rf, "/admin/blog/topic/?e=1&x=1", DataError()).status_code == (
        400
    )
    assert guard_answer(
        rf, "/admin/blog/topic/1/change/?x=1", ValueError()
    ).status_code == (400)


@pytest.mark.django_db
def test_a_failure_without_a_query_string_stays_a_server_error(rf):
    from django.db import DataError

    assert guard_answer(rf, "/admin/blog/topic/", DataError()) is None
    assert guard_answer(rf, "/blog/?q=x", DataError()) is None
    assert guard_answer(rf, "/admin/blog/topic/?q=x", KeyError()) is None


@pytest.mark.django_db
def test_an_action_posted_with_ids_that_are_not_ids_gets_400(
    superuser_client, make_lead
):
    make_lead()
    url = reverse("admin:leads_lead_changelist")

    response = superuser_client.post(
        url, {"action": "delete_selected", "_selected_action": ["", "x"], "index": "0"}
    )

    assert response.status_code == 400

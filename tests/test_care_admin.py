"""Staff edit locations, treatments and the FAQ in the admin."""

import pytest
from django.urls import reverse

from care.models import FaqGroup, Question
from core.models import ClinicProfile

pytestmark = pytest.mark.django_db

MODELS = ["location", "treatment", "faqgroup", "question"]


@pytest.mark.parametrize("model", MODELS)
def test_staff_see_the_list_and_the_add_form(
    admin_client, model, make_location, make_treatment, make_question
):
    make_location(), make_treatment(), make_question()

    changelist = admin_client.get(reverse(f"admin:care_{model}_changelist"))
    add = admin_client.get(reverse(f"admin:care_{model}_add"))

    assert changelist.status_code == 200
    assert add.status_code == 200


def test_clinic_profile_admin_has_the_currency_and_the_estimate_notice(admin_client):
    clinic = ClinicProfile.current()

    response = admin_client.get(
        reverse("admin:core_clinicprofile_change", args=[clinic.pk])
    )

    assert 'name="currency"' in response.text
    assert 'name="good_faith_estimate_notice"' in response.text


def test_a_question_added_in_the_admin_is_rendered_and_cleaned(admin_client):
    group = FaqGroup.objects.create(name="Safety", slug="safety")

    response = admin_client.post(
        reverse("admin:care_question_add"),
        {
            "group": group.pk,
            "question": "Is it safe?",
            "answer": "With **monitoring**. <script>alert(1)</script>",
            "order": 1,
            "is_published": "on",
        },
    )

    assert response.status_code == 302
    answer = Question.objects.get().answer_html
    assert "<strong>monitoring</strong>" in answer
    assert "<script>" not in answer


def test_staff_reorder_faq_groups_from_the_list(admin_client):
    first = FaqGroup.objects.create(name="Cost", slug="cost", order=1)
    second = FaqGroup.objects.create(name="Safety", slug="safety", order=2)

    admin_client.post(
        reverse("admin:care_faqgroup_changelist"),
        {
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "2",
            "form-0-id": second.pk,
            "form-0-order": "1",
            "form-1-id": first.pk,
            "form-1-order": "2",
            "_save": "Save",
        },
    )

    assert list(FaqGroup.objects.values_list("name", flat=True)) == ["Safety", "Cost"]

"""The FAQ at /faq/, and questions staff pick for a post or a treatment page."""

import pytest
from django.urls import reverse

from care.models import FaqGroup

pytestmark = pytest.mark.django_db


def main(response):
    return response.text.split("<main")[1].split("</main>")[0]


def test_faq_shows_groups_as_headings_in_the_order_staff_chose(client, make_question):
    later = FaqGroup.objects.create(name="Safety", slug="safety", order=2)
    first = FaqGroup.objects.create(name="Cost and insurance", slug="cost", order=1)
    make_question(group=later, question="Is it safe?")
    make_question(group=first, question="What does it cost?", order=2)
    make_question(group=first, question="Does insurance pay?", order=1)

    text = main(client.get(reverse("care:faq")))

    assert '<h2 id="faq-cost">Cost and insurance</h2>' in text
    order = [
        "Cost and insurance",
        "Does insurance pay?",
        "What does it cost?",
        "Safety",
    ]
    positions = [text.index(item) for item in order]
    assert positions == sorted(positions)


def test_faq_hides_unpublished_questions_and_empty_groups(client, make_question):
    empty = FaqGroup.objects.create(name="Nothing here yet", slug="empty")
    make_question(question="Published question?")
    make_question(group=empty, question="Draft question?", is_published=False)

    text = main(client.get(reverse("care:faq")))

    assert "Published question?" in text
    assert "Draft question?" not in text
    assert "Nothing here yet" not in text


def test_faq_answers_are_markdown(client, make_question):
    make_question(answer="Bring **a list** of your medications.")

    response = client.get(reverse("care:faq"))

    assert "<strong>a list</strong>" in response.text


def test_a_script_in_an_answer_never_reaches_the_page(client, make_question):
    make_question(
        question="Tricky?",
        answer='Hi <script>alert("x")</script><img src=x onerror=alert(1)>',
    )

    response = client.get(reverse("care:faq"))

    assert "<script>alert" not in response.text
    assert "onerror" not in response.text


def test_faq_json_ld_is_an_faq_page_with_every_question(
    client, make_question, page_json_ld
):
    make_question(question="How many sessions?", answer="Usually *six*.")
    make_question(question="Can I drive home?", answer="No.")

    data = page_json_ld(client.get(reverse("care:faq")))

    assert data["@type"] == "FAQPage"
    assert [q["name"] for q in data["mainEntity"]] == [
        "How many sessions?",
        "Can I drive home?",
    ]
    assert data["mainEntity"][0]["acceptedAnswer"]["@type"] == "Answer"
    assert "<em>six</em>" in data["mainEntity"][0]["acceptedAnswer"]["text"]


def test_faq_json_ld_cannot_end_its_script_block(client, make_question):
    make_question(question="What about </script><b>this</b>?")

    response = client.get(reverse("care:faq"))

    block = response.text.split('<script type="application/ld+json">')[1]
    assert "</script><b>" not in block.split("</script>")[0]
    assert "this" in block.split("</script>")[0]


def test_empty_faq_page_says_so_without_json_ld(client):
    response = client.get(reverse("care:faq"))

    assert response.status_code == 200
    assert "application/ld+json" not in response.text


def test_selected_questions_show_on_their_post_only(client, make_question, make_post):
    chosen, other = make_post(), make_post()
    question = make_question(question="Can I drive home afterwards?")
    question.posts.add(chosen)

    on_chosen = client.get(chosen.get_absolute_url())
    on_other = client.get(other.get_absolute_url())

    assert "Can I drive home afterwards?" in on_chosen.text
    assert "Can I drive home afterwards?" not in on_other.text


def test_selected_questions_show_on_a_treatment_page(
    client, make_question, make_treatment
):
    treatment = make_treatment()
    question = make_question(question="How many infusions will I need?")
    question.treatments.add(treatment)
    make_question(question="Not chosen here?")

    response = client.get(treatment.get_absolute_url())

    assert "How many infusions will I need?" in response.text
    assert "Not chosen here?" not in response.text


def test_unpublished_selected_question_stays_off_the_post(client, make_question, post):
    question = make_question(question="Hidden for now?", is_published=False)
    question.posts.add(post)

    response = client.get(post.get_absolute_url())

    assert "Hidden for now?" not in response.text

"""The demo locations, treatments and FAQ: accurate, careful, loaded once."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from care.demo import load_demo_care
from care.models import FaqGroup, Location, Question, Treatment

pytestmark = pytest.mark.django_db

TREATMENTS = {
    "iv-ketamine-infusions",
    "esketamine-spravato",
    "ketamine-assisted-psychotherapy",
}
FAQ_TOPICS = {
    "cost": r"\bcost\b",
    "insurance": r"\binsurance\b",
    "safety": r"\bsafe\b",
    "side effects": r"side effects",
    "how many sessions": r"how many sessions",
    "driving home": r"\bdrive home\b",
    "who cannot have ketamine": r"who cannot have ketamine",
    "what to bring": r"\bbring\b",
}
PROMISES = r"\b(cures?|cured|guarantee[sd]?|miracle|100%|permanent(ly)?)\b"


@pytest.fixture
def demo():
    load_demo_care()


def all_demo_text():
    texts = []
    for treatment in Treatment.objects.all():
        texts += [treatment.summary, treatment.price_note, treatment.insurance_note]
        texts += [getattr(treatment, name) for name in Treatment.SECTIONS]
    for question in Question.objects.all():
        texts += [question.question, question.answer]
    return "\n".join(texts)


def test_demo_has_two_locations_one_of_them_main(demo):
    assert Location.objects.offered().count() == 2
    assert Location.objects.filter(is_main=True).count() == 1


def test_demo_has_the_three_treatments_with_prices(demo):
    treatments = Treatment.objects.published()

    assert set(treatments.values_list("slug", flat=True)) == TREATMENTS
    assert {t.price_kind for t in treatments} == {"from", "range", "per_session"}
    for treatment in treatments:
        assert "Illustrative" in treatment.price_note, treatment.slug


def test_demo_faq_covers_the_questions_patients_ask(demo):
    questions = " ".join(
        Question.objects.published().values_list("question", flat=True)
    ).lower()

    missing = [
        t for t, pattern in FAQ_TOPICS.items() if not re.search(pattern, questions)
    ]
    assert not missing
    assert Question.objects.published().count() >= 8


def test_demo_text_makes_no_promises(demo):
    assert not re.findall(PROMISES, all_demo_text(), flags=re.IGNORECASE)


def test_demo_spravato_page_explains_the_rems_program(client, demo):
    spravato = Treatment.objects.get(slug="esketamine-spravato")

    text = client.get(spravato.get_absolute_url()).text

    assert "Spravato REMS" in text
    assert "certified healthcare setting" in text
    assert "at least two hours" in text
    assert "until the next day" in text
    assert "sleep" in text
    assert "treatment-resistant depression" in text
    assert "suicidal" in text


def test_demo_iv_ketamine_is_described_as_off_label(demo):
    infusions = Treatment.objects.get(slug="iv-ketamine-infusions")

    assert "off-label" in infusions.about


def test_loading_the_demo_twice_adds_nothing():
    load_demo_care()
    counts = [m.objects.count() for m in (Location, Treatment, FaqGroup, Question)]

    done = load_demo_care()

    assert [m.objects.count() for m in (Location, Treatment, FaqGroup, Question)] == (
        counts
    )
    assert set(done.values()) == {"kept"}


def test_demo_leaves_a_clinics_own_treatments_alone(make_treatment):
    make_treatment(name="Our own infusions", slug="our-infusions")

    load_demo_care()

    assert list(Treatment.objects.values_list("slug", flat=True)) == ["our-infusions"]


def test_a_real_deployment_gets_the_care_pages_without_demo_posts():
    call_command("load_demo_content", "--no-posts", stdout=io.StringIO())

    assert Treatment.objects.count() == 3
    assert Location.objects.count() == 2


def test_every_demo_page_renders(client, demo):
    urls = [reverse("care:treatment_list"), reverse("care:faq")]
    urls += [reverse("care:location_list")]
    urls += [t.get_absolute_url() for t in Treatment.objects.all()]
    urls += [loc.get_absolute_url() for loc in Location.objects.all()]

    for url in urls:
        assert client.get(url).status_code == 200, url


def test_sitemap_lists_the_care_pages(client, demo):
    response = client.get("/sitemap.xml")

    for path in ["/treatments/", "/faq/", "/locations/riverside/"]:
        assert f"https://clinic.example{path}</loc>" in response.text
    assert "/treatments/esketamine-spravato/</loc>" in response.text

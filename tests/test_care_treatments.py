"""Treatments and their prices at /treatments/, with the Good Faith Estimate."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from care.models import Treatment
from core.models import ClinicProfile

pytestmark = pytest.mark.django_db


def test_treatment_list_shows_published_treatments_and_hides_drafts(
    client, make_treatment
):
    make_treatment(name="IV ketamine infusions")
    make_treatment(name="A treatment still being written", is_published=False)

    response = client.get(reverse("care:treatment_list"))

    assert "IV ketamine infusions" in response.text
    assert "A treatment still being written" not in response.text


def test_draft_treatment_page_is_not_found(client, make_treatment):
    draft = make_treatment(is_published=False)

    response = client.get(draft.get_absolute_url())

    assert response.status_code == 404


@pytest.mark.parametrize("slug", ["no-such-treatment", "UPPER", "x" * 300])
def test_unknown_treatment_slug_is_not_found(client, slug):
    response = client.get(f"/treatments/{slug}/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("kind", "low", "high", "shown"),
    [
        ("from", "900", None, "from $900"),
        ("range", "650", "900", "$650–$900"),
        ("per_session", "450", None, "$450 per session"),
        ("per_session", "1250.50", None, "$1,250.50 per session"),
    ],
)
def test_list_and_page_show_the_price_as_staff_described_it(
    client, make_treatment, kind, low, high, shown
):
    treatment = make_treatment(
        price_kind=kind,
        price_from=Decimal(low),
        price_to=Decimal(high) if high else None,
    )

    listing = client.get(reverse("care:treatment_list"))
    page = client.get(treatment.get_absolute_url())

    assert shown in listing.text
    assert shown in page.text


def test_prices_are_shown_in_the_clinics_currency(client, make_treatment):
    clinic = ClinicProfile.current()
    clinic.currency = "EUR"
    clinic.save()
    make_treatment(price_kind="range", price_from=650, price_to=900)

    response = client.get(reverse("care:treatment_list"))

    assert "€650–€900" in response.text


def test_a_range_needs_a_higher_top_price():
    treatment = Treatment(
        name="KAP", slug="kap", summary="s", price_kind="range", price_from=900
    )

    with pytest.raises(ValidationError) as error:
        treatment.full_clean()

    assert "price_to" in error.value.message_dict


def test_good_faith_estimate_notice_is_on_the_list_and_every_treatment_page(
    client, make_treatment
):
    treatments = [make_treatment(), make_treatment(), make_treatment()]
    pages = [reverse("care:treatment_list")] + [
        t.get_absolute_url() for t in treatments
    ]

    for url in pages:
        response = client.get(url)

        assert "Good Faith Estimate" in response.text, url
        assert "No Surprises Act" in response.text, url


def test_staff_can_reword_the_good_faith_estimate_notice(client, make_treatment):
    treatment = make_treatment()
    clinic = ClinicProfile.current()
    clinic.good_faith_estimate_notice = "Ask the front desk for your estimate."
    clinic.save()

    response = client.get(treatment.get_absolute_url())

    assert "Ask the front desk for your estimate." in response.text


def test_treatment_page_has_its_sections_locations_and_a_consultation_link(
    client, make_treatment, make_location
):
    office = make_location(name="Riverside office")
    treatment = make_treatment(
        about="An **anesthetic** at low doses.",
        who_it_may_help="Adults with depression.",
        session="You rest in a chair.",
        how_many_sessions="Usually six.",
        insurance_note="We give you a superbill.",
        locations=[office],
    )

    response = client.get(treatment.get_absolute_url())

    for heading in ["What it is", "Who it may help", "What a session is like"]:
        assert heading in response.text
    assert "<strong>anesthetic</strong>" in response.text
    assert "We give you a superbill." in response.text
    assert "Riverside office" in response.text
    assert reverse("leads:contact") in response.text


def test_markup_typed_into_a_section_is_cleaned(client, make_treatment):
    treatment = make_treatment(about="Hello <script>alert(1)</script>")

    response = client.get(treatment.get_absolute_url())

    assert "<script>alert" not in response.text


def test_treatment_json_ld_is_a_medical_therapy_with_an_offer(
    client, make_treatment, page_json_ld
):
    treatment = make_treatment(price_kind="per_session", price_from=450)

    data = page_json_ld(client.get(treatment.get_absolute_url()))

    assert data["@type"] == "MedicalTherapy"
    assert data["name"] == treatment.name
    assert data["offers"]["@type"] == "Offer"
    assert data["offers"]["priceCurrency"] == "USD"
    assert data["offers"]["price"] == "450.00"
    assert data["offers"]["priceSpecification"]["unitText"] == "session"


def test_treatment_without_a_price_has_no_offer(client, make_treatment, page_json_ld):
    treatment = make_treatment(price_from=None)

    response = client.get(treatment.get_absolute_url())

    assert "offers" not in page_json_ld(response)
    assert "Ask us for the current price." in response.text

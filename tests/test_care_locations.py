"""The clinic's locations: /locations/, a page each, the footer, form choices."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from care.models import Location, location_choices

pytestmark = pytest.mark.django_db


def visible(html):
    """The page without hidden inputs, whose tokens change on every request."""
    return re.sub(r'<input type="hidden"[^>]*>', "", html)


def footer(response):
    return visible(response.text.split('<footer class="site-footer')[1])


def test_location_list_shows_offered_locations_main_first(client, make_location):
    make_location(name="Riverside", order=1)
    make_location(name="Downtown", order=2, is_main=True)
    make_location(name="Closed office", is_active=False)

    response = client.get(reverse("care:location_list"))

    text = response.text.split("<main")[1].split("</main>")[0]
    assert text.index("Downtown") < text.index("Riverside")
    assert "Closed office" not in text


def test_location_page_shows_hours_a_plain_map_link_and_booking(client, make_location):
    location = make_location(
        opening_hours="Tuesday 9:00–17:00\nThursday 9:00–17:00",
        map_url="https://www.openstreetmap.org/?mlat=44.05&mlon=-123.02",
        booking_url="https://booking.example/riverside",
    )

    response = client.get(location.get_absolute_url())

    assert "Thursday 9:00–17:00" in response.text
    assert 'href="https://www.openstreetmap.org/?mlat=44.05&amp;mlon=-123.02"' in (
        response.text
    )
    assert "https://booking.example/riverside" in response.text
    assert "<iframe" not in response.text


def test_location_page_lists_the_treatments_offered_there(
    client, make_location, make_treatment
):
    location = make_location()
    make_treatment(name="IV ketamine infusions", locations=[location])
    make_treatment(name="Offered elsewhere")

    response = client.get(location.get_absolute_url())

    assert "IV ketamine infusions" in response.text
    assert "Offered elsewhere" not in response.text


def test_location_json_ld_is_a_medical_clinic_with_geo_when_given(
    client, make_location, page_json_ld
):
    location = make_location(latitude=Decimal("44.0462"), longitude=Decimal("-123.022"))

    data = page_json_ld(client.get(location.get_absolute_url()))

    assert data["@type"] == "MedicalClinic"
    assert data["address"]["streetAddress"] == location.street_address
    assert data["geo"] == {
        "@type": "GeoCoordinates",
        "latitude": 44.0462,
        "longitude": -123.022,
    }
    assert data["openingHours"] == ["Monday–Friday 9:00–17:00"]


def test_location_json_ld_has_no_geo_without_coordinates(
    client, make_location, page_json_ld
):
    location = make_location()

    data = page_json_ld(client.get(location.get_absolute_url()))

    assert "geo" not in data


@pytest.mark.parametrize("slug", ["no-such-office", "UPPER", "x" * 300])
def test_unknown_location_slug_is_not_found(client, slug):
    response = client.get(f"/locations/{slug}/")

    assert response.status_code == 404


def test_closed_location_page_is_not_found(client, make_location):
    location = make_location(is_active=False)

    response = client.get(location.get_absolute_url())

    assert response.status_code == 404


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://maps.example/x", "not a link"]
)
def test_map_link_must_be_a_web_address(url):
    location = Location(name="Office", slug="office", map_url=url)

    with pytest.raises(ValidationError) as error:
        location.full_clean()

    assert "map_url" in error.value.message_dict


def test_notification_addresses_are_checked_one_by_one():
    location = Location(
        name="Office", slug="office", notification_emails="a@clinic.example, nope"
    )

    with pytest.raises(ValidationError) as error:
        location.full_clean()

    assert "“nope”" in str(error.value.message_dict["notification_emails"])


def test_notification_addresses_are_read_as_a_list():
    location = Location(notification_emails=" a@clinic.example,b@clinic.example ,")

    assert location.notification_email_list == ["a@clinic.example", "b@clinic.example"]


def test_forms_ask_no_location_question_with_one_location(make_location):
    make_location()

    assert location_choices() == []


def test_with_two_locations_forms_offer_them_and_no_preference(make_location):
    main = make_location(name="Downtown", is_main=True)
    other = make_location(name="Riverside")
    make_location(name="Closed", is_active=False)

    assert location_choices() == [
        ("", "No preference"),
        (str(main.pk), "Downtown"),
        (str(other.pk), "Riverside"),
    ]


@pytest.mark.parametrize("url_name", ["home", "leads:contact"])
def test_one_location_changes_nothing_visible_in_the_footer(
    client, make_location, url_name
):
    before = footer(client.get(reverse(url_name)))
    make_location(name="The only office", street_address="9 Elsewhere Road")

    after = footer(client.get(reverse(url_name)))

    assert after == before


def test_contact_page_is_unchanged_by_a_single_location(client, make_location):
    before = visible(client.get(reverse("leads:contact")).text)
    make_location(name="The only office")

    after = visible(client.get(reverse("leads:contact")).text)

    assert after == before


def test_footer_lists_every_location_compactly_when_there_are_two(
    client, make_location
):
    make_location(name="Downtown", is_main=True, phone="(555) 010-4200")
    make_location(name="Riverside", phone="(555) 010-4260")

    text = footer(client.get(reverse("home")))

    assert "Downtown" in text
    assert "(555) 010-4260" in text
    assert reverse("care:location_list") in text
    assert "Opening hours" not in text


def test_footer_follows_a_location_edit_at_once(client, make_location):
    main = make_location(name="Downtown")
    make_location(name="Riverside")
    client.get(reverse("home"))

    main.name = "Harborside"
    main.save()

    assert "Harborside" in footer(client.get(reverse("home")))

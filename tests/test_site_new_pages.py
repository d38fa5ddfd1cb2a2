"""Every page added in wave 2 (locations, treatments, FAQ, referrals, the
self-check) meets the site's bar: well-formed HTML with unique ids, canonical
and Open Graph tags, at most five queries, and the page cache for the pages
that carry no per-visitor state."""

from collections import Counter

import html5lib
import pytest
from django.test import Client

from care.demo import load_demo_care
from care.models import Location, Treatment
from core.models import ClinicProfile

pytestmark = pytest.mark.django_db

MAX_QUERIES = 5

CONTENT_PAGES = [
    "/locations/",
    "/locations/downtown-springfield/",
    "/locations/riverside/",
    "/treatments/",
    "/treatments/iv-ketamine-infusions/",
    "/treatments/esketamine-spravato/",
    "/treatments/ketamine-assisted-psychotherapy/",
    "/faq/",
]
# Their hidden attribution fields are filled from each request's Referer.
FORM_PAGES = ["/refer/", "/self-check/", "/self-check/?check=phq9"]


@pytest.fixture(autouse=True)
def demo_care():
    load_demo_care()
    ClinicProfile.current()
    Client().get("/")  # as on a running site: the footer's copies are warm


def parse(response):
    parser = html5lib.HTMLParser(
        tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False
    )
    document = parser.parse(response.content)
    return parser, document


def test_the_demo_has_every_page_listed_here():
    assert {location.get_absolute_url() for location in Location.objects.all()} <= set(
        CONTENT_PAGES
    )
    assert {
        treatment.get_absolute_url() for treatment in Treatment.objects.all()
    } <= set(CONTENT_PAGES)


@pytest.mark.parametrize("url", CONTENT_PAGES + FORM_PAGES)
def test_each_new_page_is_well_formed_html_with_unique_ids(url):
    parser, document = parse(Client().get(url))

    assert parser.errors == []
    ids = Counter(element.get("id") for element in document.iter() if element.get("id"))
    assert [name for name, count in ids.items() if count > 1] == []
    assert document.find("head/title").text.strip()
    assert document.find("body//main") is not None
    assert len(document.findall("body//h1")) == 1


@pytest.mark.parametrize("url", CONTENT_PAGES + FORM_PAGES)
def test_each_new_page_has_its_canonical_address_and_open_graph_tags(url):
    _, document = parse(Client().get(url))
    head = document.find("head")

    canonical = head.find("link[@rel='canonical']").get("href")
    assert canonical == "https://clinic.example" + url.split("?")[0]
    properties = {
        meta.get("property"): meta.get("content") for meta in head.findall("meta")
    }
    assert properties["og:url"] == canonical
    assert properties["og:title"]
    assert properties["og:type"]


@pytest.mark.parametrize("url", CONTENT_PAGES + FORM_PAGES)
def test_each_new_page_runs_at_most_five_queries(url, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = Client().get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("url", CONTENT_PAGES)
def test_each_content_page_is_served_from_the_page_cache(
    url, django_assert_max_num_queries
):
    assert Client().get(url)["X-Page-Cache"] == "miss"

    with django_assert_max_num_queries(1):  # the content version, without Redis
        response = Client().get(url)

    assert response["X-Page-Cache"] == "hit"
    assert not response.cookies

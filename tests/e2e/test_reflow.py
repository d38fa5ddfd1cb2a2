"""WCAG 2.2 success criterion 1.4.10: at 320 CSS px nothing scrolls sideways."""

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "/",
    "/blog/",
    "/contact/",
    "/refer/",
    "/subscribe/",
    "/self-check/",
    "/treatments/",
    "/locations/",
    "/faq/",
    "/blog/?page=2",
    "/no-such-page/",
]


def test_no_page_scrolls_sideways_at_320_css_pixels(site, page):
    call_command("load_demo_content", stdout=io.StringIO())
    page.set_viewport_size({"width": 320, "height": 640})

    too_wide = {}
    for path in PAGES:
        page.goto(site + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            too_wide[path] = width

    assert too_wide == {}

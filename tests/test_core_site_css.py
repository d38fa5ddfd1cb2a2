"""Pages load only the Bootstrap rules the site's markup uses."""

import gzip
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from core.site_css import (
    REBUILD_COMMAND,
    SOURCE,
    SUBSET_PATH,
    build_subset,
    markup_sources,
    subset,
)

LICENCE = "/*! Bootstrap, MIT licence */"


def bootstrap_css():
    with open(finders.find(SOURCE), encoding="utf-8") as source:
        return source.read()


def has_class(css, name):
    return re.search(rf"\.{re.escape(name)}(?![\w-])", css) is not None


def test_the_committed_subset_is_what_the_generator_builds_now():
    assert SUBSET_PATH.read_text(encoding="utf-8") == build_subset(), (
        f"{SUBSET_PATH.name} is out of date with the templates: run "
        f"`{REBUILD_COMMAND}` and commit the file."
    )


@pytest.mark.parametrize(
    "name",
    [
        "container",
        "navbar-expand-md",
        "d-md-none",
        "btn-primary",
        "btn-outline-secondary",
        "form-control",
        "form-check-input",
        "is-invalid",
        "invalid-feedback",
        "alert-danger",
        "alert-success",
        "visually-hidden",
    ],
)
def test_the_subset_keeps_classes_the_site_uses(name):
    assert has_class(SUBSET_PATH.read_text(encoding="utf-8"), name)


@pytest.mark.parametrize(
    "name", ["carousel", "offcanvas", "toast", "tooltip", "popover", "spinner-border"]
)
def test_the_subset_leaves_out_components_the_site_does_not_use(name):
    assert not has_class(SUBSET_PATH.read_text(encoding="utf-8"), name)


def test_the_subset_is_a_fraction_of_bootstrap():
    full = bootstrap_css().encode()
    kept = SUBSET_PATH.read_bytes()

    raw_ratio = len(kept) / len(full)
    gzip_ratio = len(gzip.compress(kept)) / len(gzip.compress(full))
    print(f"subset: {raw_ratio:.0%} of Bootstrap raw, {gzip_ratio:.0%} gzipped")

    assert raw_ratio < 0.3
    assert gzip_ratio < 0.4


def test_the_markup_sources_are_templates_scripts_python_and_crispy_templates():
    sources = markup_sources()
    ours = {
        path.relative_to(settings.BASE_DIR).as_posix()
        for path in sources
        if path.is_relative_to(settings.BASE_DIR)
    }

    assert {"templates/base.html", "static/js/site.js", "leads/forms.py"} <= ours
    assert any(
        path.match("crispy_bootstrap5/templates/bootstrap5/field.html")
        for path in sources
    )
    assert not any(name.startswith("tests/") for name in ours)


@pytest.mark.django_db
def test_every_page_links_the_subset_not_the_whole_of_bootstrap(client):
    html = client.get("/").content.decode()

    assert "css/bootstrap.subset" in html
    assert "bootstrap.min.css" not in html


def test_a_rule_stays_when_one_of_its_selectors_uses_only_known_classes():
    css = subset(".used,.unused{color:red}.unused{color:blue}", {"used"})

    assert ".used{color:red}" in css
    assert "unused" not in css


def test_element_attribute_and_root_selectors_stay():
    css = subset(":root{--bs-x:1}h1{margin:0}[hidden]{display:none}", set())

    assert ":root{--bs-x:1}" in css
    assert "h1{margin:0}" in css
    assert "[hidden]{display:none}" in css


def test_a_class_inside_not_is_not_needed_on_the_page():
    css = subset(".btn:not(.collapsed){color:red}", {"btn"})

    assert ".btn:not(.collapsed){color:red}" in css


def test_bootstraps_data_attributes_are_needed_like_classes():
    css = subset("[data-bs-theme=dark]{color:#fff}", set())

    assert "data-bs-theme" not in css


def test_media_blocks_are_filtered_and_empty_ones_dropped():
    css = subset(
        "@media (min-width:768px){.used{color:red}.unused{color:blue}}"
        "@media print{.unused{display:none}}",
        {"used"},
    )

    assert "@media (min-width:768px){.used{color:red}}" in css
    assert "print" not in css


def test_keyframes_stay_only_when_a_kept_rule_animates_with_them():
    css = subset(
        "@keyframes spin{to{transform:rotate(1turn)}}"
        "@keyframes fade{to{opacity:0}}"
        ".spinner{animation:1s linear infinite spin}.fader{animation:fade 1s}",
        {"spinner"},
    )

    assert "@keyframes spin" in css
    assert "fade" not in css


def test_the_charset_and_licence_stay_and_the_source_map_goes():
    css = subset(
        f'@charset "UTF-8";{LICENCE}h1{{margin:0}}/*# sourceMappingURL=b.map */',
        set(),
    )

    assert css.startswith('@charset "UTF-8";\n')
    assert LICENCE in css
    assert REBUILD_COMMAND in css
    assert "sourceMappingURL" not in css

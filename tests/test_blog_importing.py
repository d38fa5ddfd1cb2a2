"""Importing Markdown posts with front matter (manage.py import_posts)."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from PIL import Image

from blog.importing import import_post_file
from blog.models import Author, Post, Reference, Topic

pytestmark = pytest.mark.django_db

DEMO_POSTS = sorted(
    (Path(django_settings.BASE_DIR) / "blog" / "demo_posts").glob("*.md")
)

FRONT_MATTER = """---
title: "How ketamine works in the brain"
slug: how-ketamine-works
date: 2026-09-14T09:00:00-04:00
status: published
author: Clinical Team
author_title: Physicians and nurses
reviewer: Medical Director
reviewer_title: Board-certified psychiatrist
last_reviewed: 2026-10-01
topics: [Ketamine therapy, Depression, Sleep]
summary: "One or two sentences shown in lists."
meta_description: "A description for search engines."
image: brain.png
image_alt: "Soft blue circles joined by lines"
image_credit: "Source: Illustration by the clinic"
references:
  - title: "Berman RM et al., 2000"
    url: https://doi.org/10.1016/S0006-3223(99)00230-9
  - title: "FDA press release, 2019"
    url: https://www.fda.gov/
---
## Glutamate

Ketamine acts on the **glutamate** system.
"""


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def folder(tmp_path, media_root):
    """A folder laid out like blog/demo_posts: posts and an images/ folder."""
    posts = tmp_path / "posts"
    (posts / "images").mkdir(parents=True)
    Image.new("RGB", (1200, 630), "lightblue").save(posts / "images" / "brain.png")
    return posts


def write(folder, name, text):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def media_files(media_root):
    """The stored originals; the hero's renditions are core.images' business."""
    return sorted(
        p.name
        for p in Path(media_root).rglob("*")
        if p.is_file() and p.parent.name != "renditions"
    )


def test_import_creates_a_post_from_front_matter_and_markdown(folder):
    path = write(folder, "how-ketamine-works.md", FRONT_MATTER)

    result = import_post_file(path)

    assert result.status == "created"
    post = Post.objects.get(slug="how-ketamine-works")
    assert post.title == "How ketamine works in the brain"
    assert post.is_public
    assert post.published_at.isoformat() == "2026-09-14T13:00:00+00:00"
    assert post.summary == "One or two sentences shown in lists."
    assert post.meta_description == "A description for search engines."
    assert "<strong>glutamate</strong>" in post.body_html


def test_import_creates_authors_with_their_titles(folder):
    import_post_file(write(folder, "a.md", FRONT_MATTER))

    post = Post.objects.get()
    assert post.author.display_name == "Clinical Team"
    assert post.author.job_title == "Physicians and nurses"
    assert post.reviewer.job_title == "Board-certified psychiatrist"
    assert post.last_reviewed.isoformat() == "2026-10-01"


def test_import_reuses_known_topics_and_creates_new_ones(folder):
    import_post_file(write(folder, "a.md", FRONT_MATTER))

    slugs = sorted(topic.slug for topic in Post.objects.get().topics.all())
    assert slugs == ["depression", "ketamine-therapy", "sleep"]
    assert Topic.objects.filter(slug="depression").count() == 1


def test_import_copies_the_image_into_media_storage(folder, media_root):
    import_post_file(write(folder, "a.md", FRONT_MATTER))

    post = Post.objects.get()
    assert (Path(media_root) / post.hero_image.name).is_file()
    assert (post.hero_image_width, post.hero_image_height) == (1200, 630)
    assert post.hero_image_alt == "Soft blue circles joined by lines"
    assert post.hero_image_credit == "Source: Illustration by the clinic"


def test_import_lists_the_references_in_order(folder):
    import_post_file(write(folder, "a.md", FRONT_MATTER))

    titles = [reference.title for reference in Post.objects.get().references.all()]
    assert titles == ["Berman RM et al., 2000", "FDA press release, 2019"]


def test_reimporting_an_unchanged_file_is_skipped_and_duplicates_nothing(
    folder, media_root
):
    path = write(folder, "a.md", FRONT_MATTER)
    import_post_file(path)
    files = media_files(media_root)

    result = import_post_file(path)

    assert result.status == "skipped"
    assert Post.objects.count() == 1
    assert Author.objects.count() == 2
    assert Reference.objects.count() == 2
    assert Topic.objects.filter(slug="sleep").count() == 1
    assert media_files(media_root) == files


def test_reimporting_a_changed_file_updates_the_post_by_slug(folder, media_root):
    path = write(folder, "a.md", FRONT_MATTER)
    import_post_file(path)
    files = media_files(media_root)
    write(folder, "a.md", FRONT_MATTER.replace("in the brain", "in the body"))

    result = import_post_file(path)

    assert result.status == "updated"
    assert Post.objects.get().title == "How ketamine works in the body"
    assert Post.objects.count() == 1
    assert Reference.objects.count() == 2
    assert Author.objects.count() == 2
    assert media_files(media_root) == files


def test_load_demo_mode_leaves_existing_posts_alone(folder):
    path = write(folder, "a.md", FRONT_MATTER)
    import_post_file(path)
    write(folder, "a.md", FRONT_MATTER.replace("in the brain", "in the body"))

    result = import_post_file(path, update_existing=False)

    assert result.status == "skipped"
    assert Post.objects.get().title == "How ketamine works in the brain"


def test_imported_post_is_not_marked_as_updated_by_the_import(folder):
    import_post_file(write(folder, "a.md", FRONT_MATTER))

    assert not Post.objects.get().was_updated


def test_images_in_the_body_are_copied_and_their_links_rewritten(folder, media_root):
    text = FRONT_MATTER.replace(
        "## Glutamate", "![A diagram of a synapse](images/brain.png)\n\n## Glutamate"
    )

    import_post_file(write(folder, "a.md", text))

    post = Post.objects.get()
    assert "images/brain.png" not in post.body
    assert "(/media/blog/imported/" in post.body
    assert 'width="1200"' in post.body_html
    assert 'height="630"' in post.body_html
    assert len(media_files(media_root)) == 1


def test_scheduled_post_with_a_future_date_is_imported_but_not_public(folder):
    text = FRONT_MATTER.replace("status: published", "status: scheduled").replace(
        "date: 2026-09-14", "date: 2999-01-01"
    )

    result = import_post_file(write(folder, "a.md", text))

    assert result.status == "created"
    assert not Post.objects.published().exists()


def test_draft_may_have_no_date(folder):
    text = FRONT_MATTER.replace("status: published", "status: draft").replace(
        "date: 2026-09-14T09:00:00-04:00\n", ""
    )

    assert import_post_file(write(folder, "a.md", text)).status == "created"


def test_slug_defaults_to_the_file_name(folder):
    text = FRONT_MATTER.replace("slug: how-ketamine-works\n", "")

    import_post_file(write(folder, "from-the-file-name.md", text))

    assert Post.objects.get().slug == "from-the-file-name"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda t: t.replace("---\n", "", 1), "front matter"),
        (lambda t: t.replace('title: "How', 'title: ["How'), "YAML"),
        (
            lambda t: t.replace('title: "How ketamine works in the brain"\n', ""),
            "title",
        ),
        (lambda t: t.replace("status: published", "status: live"), "status"),
        (lambda t: t.replace("2026-09-14T09:00:00-04:00", "next tuesday"), "date"),
        (lambda t: t.replace("image: brain.png", "image: missing.png"), "missing.png"),
        (
            lambda t: t.replace("image: brain.png", "image: ../../etc/passwd"),
            "not found",
        ),
        (
            lambda t: t.replace('image_alt: "Soft blue circles joined by lines"\n', ""),
            "alt",
        ),
        (lambda t: t.replace("slug: how-ketamine-works", "slug: Not A Slug!"), "slug"),
        (lambda t: t.replace("slug: how-ketamine-works", "slug: feed"), "slug"),
        (lambda t: t.replace("author: Clinical Team\n", ""), "author"),
        (
            lambda t: t.replace("url: https://www.fda.gov/", "url: javascript:x"),
            "https",
        ),
        (
            lambda t: t.replace("last_reviewed: 2026-10-01", "last_reviewed: soon"),
            "last_",
        ),
        (lambda t: t.replace("topics: [Ketamine", "topics: {a: [Ketamine"), "YAML"),
        (lambda t: t.split("## Glutamate")[0], "body"),
    ],
)
def test_bad_file_is_reported_with_the_reason_and_nothing_is_saved(
    folder, change, reason
):
    path = write(folder, "bad.md", change(FRONT_MATTER))

    result = import_post_file(path)

    assert result.status == "error"
    assert reason.lower() in result.message.lower()
    assert not Post.objects.exists()


def test_file_that_is_not_utf8_is_reported(folder):
    path = folder / "latin1.md"
    path.write_bytes(FRONT_MATTER.replace("brain", "cerveau é").encode("latin-1"))

    result = import_post_file(path)

    assert result.status == "error"
    assert "UTF-8" in result.message


def test_missing_file_is_reported(folder):
    result = import_post_file(folder / "nothing-here.md")

    assert result.status == "error"
    assert "cannot read" in result.message


def test_image_that_is_not_a_picture_is_reported(folder):
    (folder / "images" / "brain.png").write_text("not really a png")

    result = import_post_file(write(folder, "a.md", FRONT_MATTER))

    assert result.status == "error"
    assert "brain.png" in result.message


def test_command_reports_each_file_and_carries_on_after_a_bad_one(folder, capsys):
    write(folder, "a-good.md", FRONT_MATTER)
    write(folder, "b-bad.md", "---\ntitle: [unclosed\n---\nBody")
    second = FRONT_MATTER.replace("slug: how-ketamine-works", "slug: second-post")
    write(folder, "c-good.md", second)

    with pytest.raises(CommandError, match="1 error"):
        call_command("import_posts", str(folder))

    out, err = capsys.readouterr()
    assert "created" in out and "a-good.md" in out and "c-good.md" in out
    assert "b-bad.md" in err and "YAML" in err
    assert Post.objects.count() == 2


def test_command_reports_skipped_and_updated_files(folder, capsys):
    path = write(folder, "a.md", FRONT_MATTER)
    call_command("import_posts", str(path))
    second = write(
        folder,
        "b.md",
        FRONT_MATTER.replace("works-", "x-").replace(
            "slug: how-ketamine-works", "slug: other"
        ),
    )
    call_command("import_posts", str(second))
    capsys.readouterr()
    write(folder, "b.md", second.read_text().replace("in the brain", "today"))

    call_command("import_posts", str(path), str(second))

    out, _ = capsys.readouterr()
    assert f"skipped  {path}" in out
    assert f"updated  {second}" in out


def test_command_without_markdown_files_fails(tmp_path):
    with pytest.raises(CommandError, match="No Markdown files"):
        call_command("import_posts", str(tmp_path))


def test_every_demo_post_imports_cleanly_and_only_once(media_root):
    assert len(DEMO_POSTS) >= 5
    results = [import_post_file(path) for path in DEMO_POSTS]
    again = [import_post_file(path) for path in DEMO_POSTS]

    assert [
        (r.path.name, r.status, r.message) for r in results if r.status == "error"
    ] == []
    assert {r.status for r in results} == {"created"}
    assert {r.status for r in again} == {"skipped"}
    assert Post.objects.count() == len(DEMO_POSTS)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("How-Ketamine-Works", "how-ketamine-works"),
        ("how-ketamine-works-", "how-ketamine-works"),
        ("  -how--ketamine-works ", "how-ketamine-works"),
    ],
)
def test_a_slug_that_can_be_fixed_is_normalized(folder, written, stored):
    path = write(
        folder,
        "post.md",
        FRONT_MATTER.replace("slug: how-ketamine-works", f'slug: "{written}"'),
    )

    result = import_post_file(path)

    assert result.status == "created"
    assert Post.objects.get().slug == stored


def test_a_slug_that_cannot_be_fixed_names_the_characters_at_fault(folder):
    path = write(
        folder,
        "post.md",
        FRONT_MATTER.replace("slug: how-ketamine-works", "slug: ketamine & you?"),
    )

    result = import_post_file(path)

    assert result.status == "error"
    assert "“&”" in result.message
    assert "“?”" in result.message
    assert "“ ”" in result.message
    assert not Post.objects.exists()

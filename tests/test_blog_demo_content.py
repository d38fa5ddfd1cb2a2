"""The demo posts say what a medical reviewer would sign off on."""

import re
from pathlib import Path

import frontmatter
import pytest

DEMO_DIR = Path(__file__).resolve().parent.parent / "blog" / "demo_posts"
DEMO_POSTS = sorted(DEMO_DIR.glob("*.md"))
PROMISES = [r"not addictive", r"no side effects", r"\bcures?\b", r"guarantee"]


def read_all():
    return [frontmatter.load(path) for path in DEMO_POSTS]


def test_there_are_at_least_five_demo_posts():
    assert len(DEMO_POSTS) >= 5


@pytest.mark.parametrize("path", DEMO_POSTS, ids=lambda path: path.stem)
def test_demo_post_is_credited_to_a_role_with_topics_and_references(path):
    post = frontmatter.load(path)

    assert post["author"] == "Clinical Team"
    assert post["topics"]
    assert post["references"]
    assert all(ref["url"].startswith("https://") for ref in post["references"])


@pytest.mark.parametrize("path", DEMO_POSTS, ids=lambda path: path.stem)
def test_demo_post_ends_with_a_disclaimer_and_the_crisis_line(path):
    ending = frontmatter.load(path).content[-1200:]

    assert "not medical advice" in ending
    assert "988" in ending


@pytest.mark.parametrize("path", DEMO_POSTS, ids=lambda path: path.stem)
def test_demo_post_makes_no_promises(path):
    text = frontmatter.load(path).content.lower()

    for promise in PROMISES:
        assert not re.search(promise, text), promise


def test_demo_posts_qualify_what_is_approved_and_what_is_off_label():
    text = " ".join(post.content for post in read_all())

    assert re.search(r"esketamine[^.]*2019|2019[^.]*esketamine", text, re.IGNORECASE)
    assert "off-label" in text

"""Every public blog page runs a small, fixed number of SQL queries."""

from unittest import mock

import pytest
from django.core.files.storage import FileSystemStorage
from django.urls import reverse

from blog.models import Author, Comment, Reference, Topic
from care.models import posts_with_questions, site_locations
from core.models import ClinicProfile

pytestmark = pytest.mark.django_db

MAX_QUERIES = 5


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    """The budget is the view's: the page cache's own version read (none
    with Redis, one on the database cache) is counted in
    test_core_page_cache.py."""
    settings.PAGE_CACHE_ENABLED = False


@pytest.fixture(params=[10, 200], ids=["10-posts", "200-posts"])
def blog(request, make_post):
    """Posts spread over topics and authors, each with comments and references."""
    count = request.param
    topics = [
        Topic.objects.get_or_create(slug=f"t{n}", name=f"Topic {n}")[0]
        for n in range(8)
    ]
    authors = [
        Author.objects.create(display_name=f"Author {n}", slug=f"author-{n}")
        for n in range(3)
    ]
    posts = []
    for n in range(count):
        post = make_post(
            author=authors[n % 3],
            reviewer=authors[(n + 1) % 3],
            topics=[topics[n % 8], topics[(n + 3) % 8]],
            body="## One\n\nText.\n\n## Two\n\nText.\n\n## Three\n\nText.",
        )
        posts.append(post)
    Comment.objects.bulk_create(
        Comment(post=post, name=f"Reader {n}", body="A thoughtful comment.", status=s)
        for post in posts
        for n, s in enumerate(["approved", "approved", "pending"])
    )
    Reference.objects.bulk_create(
        Reference(post=post, title=f"Study {n}", url="https://doi.org/x")
        for post in posts
        for n in range(3)
    )
    ClinicProfile.current()  # the context processor's cached profile
    site_locations(), posts_with_questions()  # the footer's and a post's care lists
    return {"posts": posts, "topics": topics, "authors": authors}


def public_pages(blog):
    post = blog["posts"][0]
    topic = blog["topics"][0]
    pages = [
        reverse("blog:post_list"),
        reverse("blog:post_list") + "?q=ketamine",
        topic.get_absolute_url(),
        blog["authors"][0].get_absolute_url(),
        post.get_absolute_url(),
        reverse("blog:feed"),
        reverse("blog:feed_atom"),
        reverse("blog:topic_feed", args=[topic.slug]),
    ]
    if len(blog["posts"]) > 10:
        pages.append(reverse("blog:post_list") + "?page=2")
    return pages


def test_every_public_blog_page_runs_at_most_five_queries(
    client, blog, django_assert_max_num_queries
):
    for url in public_pages(blog):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(url)

        assert response.status_code == 200, url


@pytest.fixture
def pictures(blog, image_upload):
    """Heroes on the post page and the list's top, author photos, a logo."""
    shown = [blog["posts"][0], *blog["posts"][-2:]]
    for n, post in enumerate(shown):
        post.hero_image = image_upload(96, 54, name=f"calm-{n}.png")
        post.hero_image_alt = "Calm blue"
        post.save()
    for author in blog["authors"]:
        author.photo = image_upload(200, 200, name=f"{author.slug}.png")
        author.save()
    profile = ClinicProfile.current()
    profile.logo = image_upload(300, 100, name="logo.png")
    profile.save()
    ClinicProfile.current()  # the context processor's cached profile, again
    return shown


def test_pages_with_image_renditions_stay_within_budget(
    client, blog, pictures, django_assert_max_num_queries
):
    for url in public_pages(blog):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(url)

        assert response.status_code == 200, url
    assert "srcset=" in client.get(reverse("blog:post_list")).text
    assert client.get(pictures[0].get_absolute_url()).text.count("srcset=") >= 3


def test_pages_with_image_renditions_open_no_file(client, blog, pictures):
    untouchable = mock.Mock(side_effect=AssertionError("a page opened a file"))

    with (
        mock.patch.object(FileSystemStorage, "open", untouchable),
        mock.patch.object(FileSystemStorage, "exists", untouchable),
        mock.patch.object(FileSystemStorage, "size", untouchable),
        mock.patch("PIL.Image.open", untouchable),
    ):
        responses = [client.get(url) for url in public_pages(blog)]

    assert all(response.status_code == 200 for response in responses)
    assert not untouchable.called


def test_post_page_with_many_comments_stays_within_budget(
    client, blog, django_assert_max_num_queries
):
    post = blog["posts"][0]
    Comment.objects.bulk_create(
        Comment(post=post, name="Reader", body="Another thought.", status="approved")
        for _ in range(100)
    )

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(post.get_absolute_url())

    assert response.text.count('class="comment"') == 102


def test_blog_pages_show_the_same_number_of_posts_whatever_the_total(client, blog):
    response = client.get(reverse("blog:post_list"))

    assert len(response.context["posts"]) == 10

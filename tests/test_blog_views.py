"""The public blog pages: list, search, topics, authors, posts, previews."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from blog.models import Author, Post, Reference, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def depression():
    return Topic.objects.get_or_create(
        slug="depression", defaults={"name": "Depression"}
    )[0]


@pytest.fixture
def anxiety():
    return Topic.objects.get_or_create(slug="anxiety", defaults={"name": "Anxiety"})[0]


def json_ld(response):
    payload = response.text.split('<script type="application/ld+json">')[1]
    return json.loads(payload.split("</script>")[0])


def test_blog_list_shows_ten_public_posts_a_page_newest_first(client, make_post):
    posts = [
        make_post(published_at=timezone.now() - timedelta(days=n)) for n in range(12)
    ]

    response = client.get(reverse("blog:post_list"))

    assert response.status_code == 200
    assert list(response.context["posts"]) == posts[:10]


def test_blog_list_second_page_shows_the_rest(client, make_post):
    posts = [
        make_post(published_at=timezone.now() - timedelta(days=n)) for n in range(12)
    ]

    response = client.get(reverse("blog:post_list"), {"page": 2})

    assert list(response.context["posts"]) == posts[10:]
    assert 'rel="prev"' in response.text


def test_blog_list_hides_drafts_and_scheduled_posts(client, make_post):
    make_post(title="Draft one", status=Post.Status.DRAFT)
    make_post(
        title="Scheduled one",
        status=Post.Status.SCHEDULED,
        published_at=timezone.now() + timedelta(days=1),
    )

    response = client.get(reverse("blog:post_list"))

    assert "Draft one" not in response.text
    assert "Scheduled one" not in response.text


def test_blog_list_shows_likes_views_and_comments(client, make_post):
    post = make_post()
    Post.objects.filter(pk=post.pk).update(like_count=19, view_count=430)
    post.comments.create(name="Ann", body="Helpful, thank you.", status="approved")

    response = client.get(reverse("blog:post_list"))

    assert "19 likes" in response.text
    assert "430 views" in response.text
    assert "1 comment" in response.text


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999", "1.5", "last2", ""])
def test_bad_page_numbers_never_cause_a_server_error(client, make_post, page):
    make_post()

    response = client.get(reverse("blog:post_list"), {"page": page})

    assert response.status_code in (200, 404)


def test_last_page_keyword_shows_the_last_page(client, make_post):
    for _ in range(11):
        make_post()

    response = client.get(reverse("blog:post_list"), {"page": "last"})

    assert response.status_code == 200
    assert len(response.context["posts"]) == 1


def test_search_finds_posts_by_words_in_the_title(client, make_post):
    make_post(title="Ketamine and chronic pain")
    make_post(title="Preparing for your first visit")

    response = client.get(reverse("blog:post_list"), {"q": "chronic pain"})

    assert [post.title for post in response.context["posts"]] == [
        "Ketamine and chronic pain"
    ]


def test_search_finds_posts_by_words_in_the_body(client, make_post):
    make_post(title="Myths", body="Esketamine nasal spray was approved in 2019.")
    make_post(title="Other", body="Nothing to see.")

    response = client.get(reverse("blog:post_list"), {"q": "esketamine"})

    assert [post.title for post in response.context["posts"]] == ["Myths"]


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL"
)


@postgresql_only
def test_full_text_search_matches_other_forms_of_a_word(client, make_post):
    make_post(title="Sessions", body="Each infusion is supervised by a nurse.")
    make_post(title="Other", body="Nothing to see.")

    response = client.get(reverse("blog:post_list"), {"q": "infusions supervising"})

    assert [post.title for post in response.context["posts"]] == ["Sessions"]


@postgresql_only
def test_full_text_search_ranks_title_matches_first(client, make_post):
    make_post(title="Everyday life", body="A note on anxiety at work.")
    make_post(title="Understanding anxiety", body="What it is and what helps.")

    response = client.get(reverse("blog:post_list"), {"q": "anxiety"})

    assert [post.title for post in response.context["posts"]] == [
        "Understanding anxiety",
        "Everyday life",
    ]


def test_search_does_not_find_drafts(client, make_post):
    make_post(title="Secret draft about sleep", status=Post.Status.DRAFT)

    response = client.get(reverse("blog:post_list"), {"q": "sleep"})

    assert list(response.context["posts"]) == []
    assert "No articles match" in response.text


@pytest.mark.parametrize(
    "query",
    [
        "x" * 2000,
        "word " * 400,
        "'; DROP TABLE blog_post; --",
        "%_\\ <script>alert(1)</script> & | ! ( ) : * \" '",
        "депрессия 抑郁症 😊 ketamine",
        "!!!",
        "   ",
        "a & !b | (c",
    ],
)
def test_any_search_text_works(client, make_post, query):
    make_post()

    response = client.get(reverse("blog:post_list"), {"q": query})

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text


def test_search_results_are_not_indexed(client, make_post):
    make_post()

    response = client.get(reverse("blog:post_list"), {"q": "ketamine"})

    assert '<meta name="robots" content="noindex, follow">' in response.text


def test_topic_page_lists_only_that_topics_posts(
    client, make_post, depression, anxiety
):
    make_post(title="About depression", topics=[depression])
    make_post(title="About anxiety", topics=[anxiety])

    response = client.get(reverse("blog:topic_detail", args=["depression"]))

    assert [post.title for post in response.context["posts"]] == ["About depression"]
    assert reverse("blog:topic_feed", args=["depression"]) in response.text


def test_unknown_topic_gives_404(client):
    response = client.get(reverse("blog:topic_detail", args=["no-such-topic"]))

    assert response.status_code == 404


def test_blog_list_offers_a_filter_by_topic(client, make_post, depression):
    make_post(topics=[depression])

    response = client.get(reverse("blog:post_list"))

    assert f'href="{depression.get_absolute_url()}"' in response.text


def test_author_page_shows_the_profile_and_their_posts(client, make_post):
    author = Author.objects.create(
        display_name="Medical Director",
        slug="medical-director",
        job_title="Board-certified psychiatrist",
        bio="Leads the clinical team.",
    )
    make_post(title="By the director", author=author)
    make_post(title="By someone else")

    response = client.get(reverse("blog:author_detail", args=["medical-director"]))

    assert "Board-certified psychiatrist" in response.text
    assert [post.title for post in response.context["posts"]] == ["By the director"]


def test_unknown_author_gives_404(client):
    assert client.get(reverse("blog:author_detail", args=["nobody"])).status_code == 404


def test_post_page_shows_the_post(client, make_post):
    post = make_post(
        title="How ketamine works", body="## Glutamate\n\nThe busiest messenger."
    )

    response = client.get(post.get_absolute_url())

    assert response.status_code == 200
    assert "<h1>How ketamine works</h1>" in response.text
    assert '<h2 id="glutamate">' in response.text


def test_unknown_post_gives_404(client):
    assert client.get(reverse("blog:post_detail", args=["nope"])).status_code == 404


def test_draft_post_is_hidden_from_visitors(client, make_post):
    post = make_post(status=Post.Status.DRAFT)

    assert client.get(post.get_absolute_url()).status_code == 404


def test_scheduled_post_is_hidden_from_visitors_until_its_time(client, make_post):
    post = make_post(
        status=Post.Status.SCHEDULED, published_at=timezone.now() + timedelta(hours=2)
    )

    assert client.get(post.get_absolute_url()).status_code == 404


def test_draft_is_hidden_even_from_staff_at_its_public_address(admin_client, make_post):
    post = make_post(status=Post.Status.DRAFT)

    assert admin_client.get(post.get_absolute_url()).status_code == 404


def test_staff_can_preview_a_draft(admin_client, make_post):
    post = make_post(title="Work in progress", status=Post.Status.DRAFT)

    response = admin_client.get(reverse("blog:post_preview", args=[post.pk]))

    assert response.status_code == 200
    assert "Work in progress" in response.text
    assert "visible only to staff" in response.text
    assert '<meta name="robots" content="noindex, nofollow">' in response.text


def test_visitors_cannot_preview_a_draft(client, make_post):
    post = make_post(title="Work in progress", status=Post.Status.DRAFT)

    response = client.get(reverse("blog:post_preview", args=[post.pk]))

    assert response.status_code == 302
    assert "Work in progress" not in response.text


def test_post_page_has_the_consultation_call_to_action_with_the_post_as_source(
    client, post
):
    response = client.get(post.get_absolute_url())

    link = f'href="{reverse("leads:contact")}?post={post.slug}"'
    assert link in response.text
    assert "Request a consultation" in response.text


def test_post_page_has_the_newsletter_sign_up(client, post):
    response = client.get(post.get_absolute_url())

    assert response.text.count(f'action="{reverse("leads:subscribe")}"') >= 2


def test_post_page_shows_the_author_box_and_medical_review(client, make_post):
    reviewer = Author.objects.create(
        display_name="Medical Director",
        slug="medical-director",
        job_title="Board-certified psychiatrist",
    )
    post = make_post(reviewer=reviewer, last_reviewed=timezone.localdate())

    response = client.get(post.get_absolute_url())

    assert "Medically reviewed by" in response.text
    assert "Board-certified psychiatrist" in response.text
    assert "Last reviewed" in response.text
    assert 'aria-label="About the author"' in response.text


def test_post_page_lists_references(client, post):
    Reference.objects.create(post=post, title="Berman 2000", url="https://doi.org/x")

    response = client.get(post.get_absolute_url())

    assert '<a href="https://doi.org/x" rel="noopener">Berman 2000</a>' in response.text


def test_post_page_has_plain_share_links(client, post):
    response = client.get(post.get_absolute_url())

    for host in ["facebook.com/sharer", "x.com/intent", "linkedin.com/sharing"]:
        assert host in response.text
    assert 'href="mailto:?subject=' in response.text
    assert "data-copy-link" in response.text
    assert '<script src="https://' not in response.text


def test_post_page_shows_related_posts_by_topic(client, make_post, depression, anxiety):
    post = make_post(topics=[depression])
    make_post(title="Also on depression", topics=[depression])
    make_post(title="Only anxiety", topics=[anxiety])

    response = client.get(post.get_absolute_url())

    assert [p.title for p in response.context["related_posts"]] == [
        "Also on depression"
    ]


def test_post_edited_after_publishing_says_updated_on(client, make_post):
    post = make_post(published_at=timezone.now() - timedelta(days=30))

    response = client.get(post.get_absolute_url())

    assert "Updated on" in response.text


def test_post_page_shows_reading_time(client, make_post):
    post = make_post(body="word " * 900)

    assert "5 min read" in client.get(post.get_absolute_url()).text


def test_hero_image_has_alt_text_credit_and_size(client, make_post, settings, tmp_path):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buffer = BytesIO()
    Image.new("RGB", (640, 360), "white").save(buffer, "PNG")
    post = make_post(
        hero_image=SimpleUploadedFile("room.png", buffer.getvalue()),
        hero_image_alt="A calm treatment room",
        hero_image_credit="Source: Photo by the clinic",
    )

    response = client.get(post.get_absolute_url())

    assert 'alt="A calm treatment room"' in response.text
    assert 'width="640" height="360"' in response.text
    assert "Source: Photo by the clinic" in response.text
    assert '<meta property="og:image" content="https://clinic.example/media/' in (
        response.text
    )


def hero_upload(width=1600, height=900):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (width, height), "#8fb8c9").save(buffer, "PNG")
    return SimpleUploadedFile("calm.png", buffer.getvalue())


def test_hero_image_is_a_picture_with_avif_and_webp_srcsets(
    client, make_post, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    post = make_post(hero_image=hero_upload(), hero_image_alt="Calm blue")

    html = client.get(post.get_absolute_url()).text

    assert '<source type="image/webp" srcset="/media/blog/heroes/renditions/' in html
    assert "-480w.webp 480w, " in html
    assert "-1200w.webp 1200w" in html
    assert 'sizes="(min-width: 992px) 736px, 100vw"' in html


@pytest.mark.skipif(
    not __import__("PIL.features").features.check("avif"), reason="no AVIF encoder"
)
def test_avif_is_offered_before_webp(client, make_post, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    post = make_post(hero_image=hero_upload(), hero_image_alt="Calm blue")

    html = client.get(post.get_absolute_url()).text

    assert html.index('type="image/avif"') < html.index('type="image/webp"')
    assert "-800w.avif 800w" in html


def test_hero_image_is_fetched_first_and_never_lazy(
    client, make_post, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    post = make_post(hero_image=hero_upload(), hero_image_alt="Calm blue")

    html = client.get(post.get_absolute_url()).text
    hero = html[html.index('<figure class="post-hero') :].split("</figure>")[0]

    assert 'width="1600" height="900" fetchpriority="high">' in hero
    assert 'loading="lazy"' not in hero


def test_card_images_are_lazy_with_sizes_for_the_grid(
    client, make_post, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    make_post(hero_image=hero_upload(), hero_image_alt="Calm blue")

    html = client.get(reverse("blog:post_list")).text

    assert 'sizes="(min-width: 992px) 330px, (min-width: 768px) 50vw, 100vw"' in html
    assert 'class="card-img-top"' in html
    assert 'width="1600" height="900" loading="lazy" decoding="async">' in html
    assert "fetchpriority" not in html


def test_post_page_uses_the_seo_title_and_description_overrides(client, make_post):
    post = make_post(seo_title="Ketamine explained", meta_description="Short answer.")

    response = client.get(post.get_absolute_url())

    assert "<title>Ketamine explained |" in response.text
    assert '<meta name="description" content="Short answer.">' in response.text


def test_post_page_has_canonical_opengraph_and_twitter_tags(client, post):
    response = client.get(post.get_absolute_url())

    url = f"https://clinic.example{post.get_absolute_url()}"
    assert f'<link rel="canonical" href="{url}">' in response.text
    assert '<meta property="og:type" content="article">' in response.text
    assert f'<meta property="og:url" content="{url}">' in response.text
    assert '<meta name="twitter:card" content="summary">' in response.text


def test_post_page_links_the_feeds(client, post):
    response = client.get(post.get_absolute_url())

    assert 'type="application/rss+xml"' in response.text
    assert 'type="application/atom+xml"' in response.text


def test_post_json_ld_describes_a_reviewed_medical_page_with_breadcrumbs(
    client, make_post, depression
):
    reviewer = Author.objects.create(display_name="Medical Director", slug="md")
    post = make_post(
        topics=[depression], reviewer=reviewer, last_reviewed=timezone.localdate()
    )

    data = json_ld(client.get(post.get_absolute_url()))

    types = {node["@type"]: node for node in data["@graph"]}
    assert types["MedicalWebPage"]["reviewedBy"]["name"] == "Medical Director"
    assert types["MedicalWebPage"]["lastReviewed"] == timezone.localdate().isoformat()
    assert types["BlogPosting"]["headline"] == post.title
    crumbs = types["BreadcrumbList"]["itemListElement"]
    assert [crumb["name"] for crumb in crumbs] == [
        "Home",
        "Blog",
        "Depression",
        post.title,
    ]


def test_json_ld_cannot_be_broken_out_of_by_a_title(client, make_post):
    post = make_post(title="</script><script>alert(1)</script>")

    response = client.get(post.get_absolute_url())

    assert "<script>alert(1)" not in response.text
    assert json_ld(response)["@graph"][1]["headline"] == post.title


def test_visitors_get_no_session_cookie(client, post):
    response = client.get(post.get_absolute_url())

    assert "sessionid" not in response.cookies

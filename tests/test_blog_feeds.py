"""RSS and Atom feeds and the sitemap entries of the blog."""

from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from blog.models import Post, Topic

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def test_rss_feed_lists_public_posts_with_absolute_links(client, make_post):
    post = make_post(title="Glutamate explained")
    make_post(title="Not yet", status=Post.Status.DRAFT)

    response = client.get(reverse("blog:feed"))

    root = ElementTree.fromstring(response.content)
    items = root.findall("./channel/item")
    assert [item.findtext("title") for item in items] == ["Glutamate explained"]
    assert (
        items[0].findtext("link") == f"https://clinic.example{post.get_absolute_url()}"
    )
    assert root.findtext("./channel/link") == "https://clinic.example/blog/"


def test_rss_feed_holds_the_latest_twenty_posts(client, make_post):
    for days in range(25):
        make_post(published_at=timezone.now() - timedelta(days=days + 1))

    root = ElementTree.fromstring(client.get(reverse("blog:feed")).content)

    assert len(root.findall("./channel/item")) == 20


def test_rss_items_carry_author_date_and_topics(client, make_post):
    topic = Topic.objects.get_or_create(slug="ptsd", defaults={"name": "PTSD"})[0]
    make_post(topics=[topic])

    item = ElementTree.fromstring(client.get(reverse("blog:feed")).content).find(
        "./channel/item"
    )

    assert item.findtext("category") == "PTSD"
    assert item.findtext("pubDate")
    assert "Clinical Team" in item.findtext("{http://purl.org/dc/elements/1.1/}creator")


def test_atom_feed_lists_public_posts(client, make_post):
    post = make_post(title="Atom entry")

    response = client.get(reverse("blog:feed_atom"))

    root = ElementTree.fromstring(response.content)
    entries = root.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == ["Atom entry"]
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link == f"https://clinic.example{post.get_absolute_url()}"


def test_topic_feed_lists_only_that_topics_posts(client, make_post):
    anxiety = Topic.objects.get_or_create(slug="anxiety", defaults={"name": "Anxiety"})[
        0
    ]
    make_post(title="Calm", topics=[anxiety])
    make_post(title="Elsewhere")

    response = client.get(reverse("blog:topic_feed", args=["anxiety"]))

    root = ElementTree.fromstring(response.content)
    assert [i.findtext("title") for i in root.findall("./channel/item")] == ["Calm"]


def test_feed_of_an_unknown_topic_gives_404(client):
    assert client.get(reverse("blog:topic_feed", args=["nothing"])).status_code == 404


def test_sitemap_lists_public_posts_and_topics_with_lastmod(client, make_post):
    topic = Topic.objects.get_or_create(slug="ptsd", defaults={"name": "PTSD"})[0]
    post = make_post(topics=[topic])
    draft = make_post(status=Post.Status.DRAFT)

    response = client.get("/sitemap.xml")

    text = response.text
    assert f"<loc>https://clinic.example{post.get_absolute_url()}</loc>" in text
    assert f"https://clinic.example{topic.get_absolute_url()}" in text
    assert draft.get_absolute_url() not in text
    assert "<lastmod>" in text


def test_sitemap_leaves_out_topics_without_public_posts(client, make_post):
    empty = Topic.objects.create(name="Sleep", slug="sleep")

    response = client.get("/sitemap.xml")

    assert empty.get_absolute_url() not in response.text

"""Markdown bodies become safe, accessible HTML."""

from blog.rendering import reading_minutes, render_markdown


def test_markdown_headings_get_anchors_and_permalinks():
    html = render_markdown("## How it works\n\nText.").html

    assert '<h2 id="how-it-works">' in html
    assert 'href="#how-it-works"' in html


def test_a_level_one_heading_becomes_level_two_because_the_title_is_the_h1():
    html = render_markdown("# Big heading").html

    assert "<h1" not in html
    assert '<h2 id="big-heading">' in html


def test_long_posts_get_a_table_of_contents():
    body = "\n\n".join(f"## Section {n}\n\nText." for n in range(1, 5))

    rendered = render_markdown(body)

    assert 'href="#section-1"' in rendered.toc_html
    assert 'href="#section-4"' in rendered.toc_html


def test_short_posts_have_no_table_of_contents():
    assert render_markdown("## Only one\n\nText.").toc_html == ""


def test_script_tags_are_removed_with_their_content():
    html = render_markdown("Hello <script>alert('x')</script> world").html

    assert "<script" not in html
    assert "alert" not in html


def test_event_handlers_and_javascript_links_are_removed():
    html = render_markdown(
        '<a href="javascript:alert(1)" onclick="steal()">x</a>'
        "<img src=/a.png onerror=x>"
    ).html

    assert "javascript:" not in html
    assert "onclick" not in html
    assert "onerror" not in html


def test_iframes_and_styles_are_removed():
    html = render_markdown(
        '<iframe src="https://evil.example"></iframe><p style="x">a</p>'
    ).html

    assert "<iframe" not in html
    assert "style=" not in html


def test_external_links_get_rel_noopener():
    html = render_markdown("[A study](https://doi.org/10.1000/xyz)").html

    assert '<a href="https://doi.org/10.1000/xyz" rel="noopener">A study</a>' in html


def test_local_images_lazy_load():
    html = render_markdown("![A calm room](/media/blog/room.png)").html

    assert 'loading="lazy"' in html
    assert 'alt="A calm room"' in html


def test_local_images_get_their_width_and_height(settings, tmp_path):
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "blog").mkdir()
    Image.new("RGB", (320, 180), "white").save(tmp_path / "blog" / "room.png")

    html = render_markdown("![A calm room](/media/blog/room.png)").html

    assert 'width="320"' in html
    assert 'height="180"' in html


def test_images_from_other_hosts_become_links_so_pages_load_nothing_from_them():
    html = render_markdown("![Chart](https://tracker.example/chart.png)").html

    assert "<img" not in html
    assert (
        '<a href="https://tracker.example/chart.png" rel="noopener">Chart</a>' in html
    )


def test_code_blocks_are_escaped():
    html = render_markdown("```\n<b>not bold</b>\n```").html

    assert "&lt;b&gt;not bold&lt;/b&gt;" in html


def test_reading_time_is_at_least_one_minute():
    assert reading_minutes("short") == 1


def test_reading_time_grows_with_length():
    assert reading_minutes("word " * 1000) == 5

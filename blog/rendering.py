"""Markdown to safe HTML for post bodies.

Python-Markdown turns the text into HTML (headings get ids and a permalink,
tables and fenced code work); a tree processor then adjusts what Markdown
itself created (links, images); finally nh3 keeps only an allowlist of tags
and attributes, so raw HTML or script typed into a post cannot reach the page.
"""

import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit
from xml.etree import ElementTree

import markdown
import nh3
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from markdown.extensions.toc import TocExtension, slugify_unicode
from markdown.treeprocessors import Treeprocessor
from PIL import Image

# A table of contents is shown only on posts with at least this many sections.
TOC_MIN_HEADINGS = 3
WORDS_PER_MINUTE = 200

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del",
    "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
    "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "code": {"class"},
    **{f"h{level}": {"id"} for level in range(2, 7)},
}
ALLOWED_CLASSES = {"a": {"headerlink"}, "div": {"toc"}}
CODE_CLASS = re.compile(r"^language-[\w+-]{1,30}$")

CLEANER = None


def _filter_attribute(tag, attribute, value):
    """Second line of defence for values the allowlist cannot express."""
    if attribute in {"width", "height", "colspan", "rowspan", "start"}:
        return value if value.isdigit() and len(value) < 6 else None
    if tag == "img" and attribute == "src":
        return value if is_local_url(value) else None
    if tag == "code" and attribute == "class":
        return value if CODE_CLASS.match(value) else None
    if attribute == "align":
        return value if value in {"left", "right", "center"} else None
    if attribute == "id":
        return value if re.fullmatch(r"[\w-]{1,100}", value) else None
    return value


def _cleaner():
    global CLEANER
    if CLEANER is None:
        CLEANER = nh3.Cleaner(
            tags=ALLOWED_TAGS,
            clean_content_tags={"script", "style"},
            attributes=ALLOWED_ATTRIBUTES,
            attribute_filter=_filter_attribute,
            # Every link gets rel="noopener", external ones included, and
            # every image loads lazily, even those typed as raw HTML.
            link_rel="noopener",
            set_tag_attribute_values={"img": {"loading": "lazy", "decoding": "async"}},
            url_schemes={"http", "https", "mailto", "tel"},
            allowed_classes=ALLOWED_CLASSES,
        )
    return CLEANER


def sanitize(html):
    return _cleaner().clean(html)


def is_local_url(url):
    """A path on this site (no scheme, no host): the only images pages may load."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and url.startswith("/")


def image_size(url):
    """(width, height) of a local image under MEDIA_URL or STATIC_URL, if readable."""
    path = urlsplit(url).path
    media_url = "/" + settings.MEDIA_URL.lstrip("/")
    static_url = "/" + settings.STATIC_URL.lstrip("/")
    try:
        if path.startswith(media_url):
            with default_storage.open(path.removeprefix(media_url)) as file:
                return Image.open(file).size
        if path.startswith(static_url):
            found = finders.find(path.removeprefix(static_url))
            if found:
                with Image.open(found) as image:
                    return image.size
    except Exception:  # noqa: BLE001 - any unreadable image just gets no size
        return None
    return None


class ContentTreeprocessor(Treeprocessor):
    """Adjust the elements Markdown created before the table of contents is built."""

    def run(self, root):
        for parent in root.iter():
            for index, element in enumerate(list(parent)):
                if element.tag == "h1":
                    # The post title is the page's only h1.
                    element.tag = "h2"
                elif element.tag == "img":
                    self.adjust_image(parent, index, element)

    def adjust_image(self, parent, index, image):
        src = image.get("src", "")
        if not is_local_url(src):
            # Pages never load anything from another host: link to it instead.
            link = ElementTree.Element("a", {"href": src})
            link.text = image.get("alt") or src
            link.tail = image.tail
            parent.remove(image)
            parent.insert(index, link)
            return
        size = image_size(src)
        if size:
            image.set("width", str(size[0]))
            image.set("height", str(size[1]))


class ContentExtension(markdown.Extension):
    def extendMarkdown(self, md):  # noqa: N802 - the library's method name
        md.treeprocessors.register(ContentTreeprocessor(md), "clinic_content", 8)


@dataclass
class Rendered:
    html: str
    toc_html: str
    reading_minutes: int


def _make_markdown():
    return markdown.Markdown(
        extensions=[
            "tables",
            "fenced_code",
            "sane_lists",
            ContentExtension(),
            TocExtension(
                toc_depth="2-3",
                slugify=slugify_unicode,
                permalink="#",
                permalink_class="headerlink",
                permalink_title="Link to this section",
            ),
        ],
        extension_configs={"tables": {"use_align_attribute": True}},
    )


def _count_headings(tokens):
    return sum(1 + _count_headings(token["children"]) for token in tokens)


def reading_minutes(text):
    return max(1, math.ceil(len(text.split()) / WORDS_PER_MINUTE))


def render_markdown(text):
    """Safe HTML, an optional table of contents and the reading time for a body."""
    md = _make_markdown()
    html = sanitize(md.convert(text or ""))
    toc_html = ""
    if _count_headings(md.toc_tokens) >= TOC_MIN_HEADINGS:
        toc_html = sanitize(md.toc)
    return Rendered(
        html=html, toc_html=toc_html, reading_minutes=reading_minutes(text or "")
    )

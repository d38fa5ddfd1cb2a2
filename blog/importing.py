"""Import posts from Markdown files with YAML front matter.

A file is front matter between ``---`` lines, then the Markdown body::

    title, slug (defaults to the file name), date (ISO 8601; required unless
    draft), status (draft | scheduled | published; default published),
    author and author_title, reviewer and reviewer_title, last_reviewed,
    topics (a list), summary, meta_description, seo_title, updated,
    notify_subscribers, image (in images/ next to the file, or relative to
    it), image_alt (required with an image), image_credit, references (a
    list of {title, url}).

``blog/demo_posts/`` holds complete examples. ``import_post_file(path)`` is
the one entry point: ``manage.py import_posts`` and ``manage.py
load_demo_content`` both call it for each file. The slug is the key:
importing a file again updates its post, an unchanged file is skipped, and
topics, authors, references and images are matched or replaced, never
duplicated. Image files (the hero image and any ``![alt](images/x.png)`` in
the body) are copied into MEDIA storage under a name derived from their
content, so the same picture is stored once.
"""

import datetime
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import frontmatter
import yaml
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import slugify
from PIL import Image, UnidentifiedImageError

from blog.models import Author, Post, Reference, Topic

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_BYTES = 10 * 1024 * 1024
IMAGE_DIR = "blog/imported"
# ![alt](relative/path.png "title") in the body: images stored next to the file.
BODY_IMAGE = re.compile(r"(!\[[^\]]*\]\()\s*([^)\s]+)(\s+\"[^\"]*\")?\s*\)")
STATUSES = {choice.value for choice in Post.Status}
HERO = "(hero image)"


class PostFileError(Exception):
    """A problem with one file, reported to the person importing it."""


@dataclass
class ImportResult:
    path: Path
    status: str  # created, updated, skipped or error
    message: str = ""
    post: Post | None = None

    def __str__(self):
        line = f"{self.status:8} {self.path}"
        return f"{line}: {self.message}" if self.message else line


def normalize_slug(value: str) -> str:
    """Fix what is clearly meant (capitals, spaces around it, stray hyphens);
    name the characters that cannot be fixed without guessing."""
    slug = re.sub(r"-{2,}", "-", value.strip().lower()).strip("-")
    wrong = sorted({char for char in slug if not re.fullmatch(r"[a-z0-9-]", char)})
    if wrong:
        shown = ", ".join(f"“{char}”" for char in wrong)
        raise PostFileError(
            f"the slug “{value}” cannot hold {shown}: use a-z, 0-9 and hyphens"
        )
    if not slug:
        raise PostFileError("the slug is empty: use a-z, 0-9 and hyphens")
    return slug


def import_post_file(path, *, update_existing=True):
    """Create or update the post a Markdown file describes; never raises."""
    path = Path(path)
    try:
        return _import(path, update_existing)
    except PostFileError as error:
        return ImportResult(path, "error", str(error))
    except ValidationError as error:
        return ImportResult(path, "error", _describe_validation_error(error))
    except Exception as error:  # noqa: BLE001 - one bad file must not stop the rest
        logger.exception("Unexpected error importing %s", path.name)
        return ImportResult(
            path, "error", f"unexpected {type(error).__name__}: {error}"
        )


def _import(path, update_existing):
    raw = _read_bytes(path, MAX_FILE_BYTES)
    try:
        document = frontmatter.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise PostFileError("the file is not UTF-8 text") from error
    except yaml.YAMLError as error:
        raise PostFileError(f"the front matter is not valid YAML ({error})") from error
    meta = document.metadata
    if not meta:
        raise PostFileError("no front matter: the file must start with a --- block")

    slug = normalize_slug(_text(meta, "slug") or path.stem)
    existing = Post.objects.filter(slug=slug).first()
    if existing and not update_existing:
        return ImportResult(path, "skipped", "already imported", existing)

    sources = _find_images(path, meta, document.content)
    contents = {
        key: _read_bytes(source, MAX_IMAGE_BYTES) for key, source in sources.items()
    }
    checksum = hashlib.sha256(raw + b"".join(contents.values())).hexdigest()
    if existing and existing.import_checksum == checksum:
        return ImportResult(path, "skipped", "unchanged", existing)

    images = {key: _store_image(sources[key], contents[key]) for key in sources}
    with transaction.atomic():
        post = existing or Post(slug=slug)
        _fill_post(post, meta, document.content, images)
        post.import_checksum = checksum
        post.full_clean()
        post.save()
        # The file, not the moment of import, says when the content last
        # changed; otherwise every imported post would read "Updated today".
        post.updated_at = (
            _datetime(meta.get("updated"), "updated")
            or post.published_at
            or post.updated_at
        )
        Post.objects.filter(pk=post.pk).update(updated_at=post.updated_at)
        post.topics.set(_topics(meta))
        post.references.all().delete()
        Reference.objects.bulk_create(
            Reference(post=post, title=title, url=url, position=position)
            for position, (title, url) in enumerate(_references(meta), start=1)
        )
    status = "updated" if existing else "created"
    return ImportResult(path, status, post.title, post)


def _fill_post(post, meta, body, images):
    title = _text(meta, "title")
    if not title:
        raise PostFileError("the title is missing")
    status = (_text(meta, "status") or Post.Status.PUBLISHED).lower()
    if status not in STATUSES:
        raise PostFileError(f"status must be one of {', '.join(sorted(STATUSES))}")
    published_at = _datetime(meta.get("date"), "date")
    if published_at is None and status != Post.Status.DRAFT:
        raise PostFileError(f"a {status} post needs a date")

    post.title = title
    post.status = status
    post.published_at = published_at
    post.summary = _text(meta, "summary")
    post.meta_description = _text(meta, "meta_description")
    post.seo_title = _text(meta, "seo_title")
    post.body = _rewrite_body_images(body, images)
    post.author = _author(_text(meta, "author"), _text(meta, "author_title"))
    if post.author is None:
        raise PostFileError("the author is missing")
    post.reviewer = _author(_text(meta, "reviewer"), _text(meta, "reviewer_title"))
    post.last_reviewed = _date(meta.get("last_reviewed"), "last_reviewed")
    if "notify_subscribers" in meta:
        post.notify_subscribers = bool(meta["notify_subscribers"])

    hero = images.get(HERO)
    if hero:
        post.hero_image.name = hero
        Post._meta.get_field("hero_image").update_dimension_fields(post, force=True)
    else:
        post.hero_image = ""
        post.hero_image_width = post.hero_image_height = None
    post.hero_image_alt = _text(meta, "image_alt")
    post.hero_image_credit = _text(meta, "image_credit")


def _read_bytes(path, limit):
    try:
        size = path.stat().st_size
        if size > limit:
            raise PostFileError(
                f"{path.name} is larger than {limit // 1024 // 1024} MB"
            )
        return path.read_bytes()
    except OSError as error:
        raise PostFileError(
            f"cannot read {path.name}: {error.strerror or error}"
        ) from error


def _text(meta, key):
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        raise PostFileError(f"“{key}” must be plain text")
    return str(value).strip()


def _datetime(value, key):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time())
    else:
        text = str(value).strip()
        moment = parse_datetime(text)
        if moment is None and parse_date(text):
            moment = datetime.datetime.combine(parse_date(text), datetime.time())
        if moment is None:
            raise PostFileError(f"“{key}” is not an ISO 8601 date or time: {text!r}")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _date(value, key):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    parsed = parse_date(str(value).strip())
    if parsed is None:
        raise PostFileError(f"“{key}” is not a date like 2026-10-01: {value!r}")
    return parsed


def _author(name, title):
    """The author profile with this name, created when missing."""
    if not name:
        return None
    if len(name) > Author._meta.get_field("display_name").max_length:
        raise PostFileError(f"the name “{name[:40]}…” is too long")
    author = Author.objects.filter(display_name__iexact=name).first()
    if author is None:
        author = Author.objects.create(
            display_name=name,
            slug=_unique_slug(Author, name),
            job_title=title[:200],
            is_team=_looks_like_a_team(name),
        )
    elif title and not author.job_title:
        author.job_title = title[:200]
        author.save(update_fields=["job_title"])
    return author


def _looks_like_a_team(name):
    return bool(re.search(r"\b(team|staff|clinic|editors?|editorial)\b", name, re.I))


def _unique_slug(model, name):
    base = slugify(name)[:100] or "item"
    slug, number = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


def _topics(meta):
    value = meta.get("topics") or []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise PostFileError("topics must be a list, e.g. [Depression, Anxiety]")
    topics = []
    for item in value:
        name = str(item).strip()
        slug = slugify(name)
        if not slug:
            continue
        if len(name) > 80:
            raise PostFileError(f"the topic “{name[:40]}…” is too long")
        topic = (
            Topic.objects.filter(slug=slug).first()
            or Topic.objects.filter(name__iexact=name).first()
            or Topic.objects.create(name=name, slug=slug)
        )
        topics.append(topic)
    return topics


def _references(meta):
    value = meta.get("references") or []
    if not isinstance(value, list):
        raise PostFileError("references must be a list of {title, url}")
    references = []
    for item in value:
        if isinstance(item, str):
            title, url = item.strip(), ""
        elif isinstance(item, dict):
            title, url = (
                str(item.get("title") or "").strip(),
                str(item.get("url") or ""),
            )
        else:
            raise PostFileError("each reference needs a title and a url")
        if not title:
            raise PostFileError("a reference has no title")
        url = url.strip()
        if url and not url.startswith(("http://", "https://")):
            raise PostFileError(f"the reference link {url!r} must start with https://")
        references.append((title[:400], url[:500]))
    return references


def _find_image(md_path, name):
    """An image named in the file: in images/ next to it, or relative to it."""
    if "://" in name or name.startswith("/"):
        return None
    folder = md_path.parent.resolve()
    for candidate in (folder / "images" / name, folder / name):
        resolved = candidate.resolve()
        # Only files inside the folder being imported, never ../../etc.
        if resolved.is_file() and resolved.is_relative_to(folder):
            return resolved
    return None


def _store_image(source, content):
    """Copy an image into MEDIA storage once; its name comes from its content."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError) as error:
        raise PostFileError(f"{source.name} is not an image Pillow can read") from error
    digest = hashlib.sha256(content).hexdigest()[:16]
    name = f"{IMAGE_DIR}/{digest}-{slugify(source.stem)[:60]}{source.suffix.lower()}"
    if not default_storage.exists(name):
        stored = default_storage.save(name, ContentFile(content))
        if stored != name:
            raise PostFileError(f"could not store {source.name} as {name}")
    return name


def _find_images(md_path, meta, body):
    """The files of the hero image and of the images the body shows."""
    images = {}
    hero = _text(meta, "image")
    if hero:
        source = _find_image(md_path, hero)
        if source is None:
            raise PostFileError(f"image {hero!r} not found next to {md_path.name}")
        if not _text(meta, "image_alt"):
            raise PostFileError("image_alt is required with an image")
        images[HERO] = source
    for match in BODY_IMAGE.finditer(body):
        reference = match.group(2)
        source = _find_image(md_path, reference)
        if source is not None and reference not in images:
            images[reference] = source
    return images


def _rewrite_body_images(body, images):
    def replace(match):
        stored = images.get(match.group(2))
        if not stored:
            return match.group(0)
        return f"{match.group(1)}{default_storage.url(stored)}{match.group(3) or ''})"

    return BODY_IMAGE.sub(replace, body)


def _describe_validation_error(error):
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}"
            for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)

"""Uploaded images in modern formats at several widths, for ``srcset``.

``make_renditions()`` turns an uploaded original into AVIF (when this
Pillow can write it) and WebP files at ``WIDTHS`` (or the widths or
heights the model asks for), never larger than the original, and returns
what templates need to list them (names, widths, heights), so a page shows
them with no file access and no query. The result is kept on the row in a
JSONField next to the image field; the model calls ``update_renditions()``
from ``save()``.
"""

import logging
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from PIL import Image, ImageOps, features

logger = logging.getLogger(__name__)

WIDTHS = (480, 800, 1200)
# Twelve megapixels is a large photo; anything bigger is refused before
# Pillow decodes it, so a small file claiming huge dimensions costs nothing.
MAX_PIXELS = 12_000_000
# Quality tuned by eye on calm illustrations and photos: no visible banding.
ENCODERS = {
    "avif": {"format": "AVIF", "quality": 40, "speed": 6},
    "webp": {"format": "WEBP", "quality": 75, "method": 4},
}
MIME_TYPES = {"avif": "image/avif", "webp": "image/webp"}


def formats():
    """Best first: the browser takes the first <source> it understands."""
    return [name for name in ("avif", "webp") if features.check(name)]


def validate_image(file):
    """Refuse an upload Pillow cannot fully decode, or one too large to."""
    if getattr(file, "_committed", False):
        return  # already stored, checked when it was uploaded
    try:
        file.seek(0)
        with Image.open(file) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    f"The image is {width}×{height} pixels; please upload one "
                    f"under {MAX_PIXELS // 1_000_000} megapixels.",
                    code="image_too_large",
                )
            image.load()
    except ValidationError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise ValidationError(
            "The file is not an image, or it is damaged. Try exporting it "
            "again as JPEG, PNG or WebP.",
            code="invalid_image",
        ) from error
    finally:
        file.seek(0)


def target_widths(original_width, widths=WIDTHS):
    """The widths to make: those asked for below the original, and the
    original's own width in place of any wider one (never upscaled)."""
    return sorted({min(width, original_width) for width in widths})


def make_renditions(field_file, widths=WIDTHS, *, heights=()) -> dict:
    """Write the renditions of an image and describe them.

    ``heights`` replaces ``widths`` for an image laid out by its height,
    such as a logo: the original's aspect ratio turns each height into
    the width ``srcset`` speaks in.

    Returns ``{"source": <original name>, "files": [{"format", "name",
    "width", "height"}, ...]}``, files ordered by format then width.
    """
    storage = field_file.storage
    with storage.open(field_file.name, "rb") as original, Image.open(original) as im:
        image = ImageOps.exif_transpose(im)
        image = image.convert("RGBA" if _has_alpha(image) else "RGB")
    if heights:
        widths = [round(height * image.width / image.height) for height in heights]
    stem = PurePosixPath(field_file.name).stem
    folder = PurePosixPath(field_file.name).parent / "renditions"
    files = []
    for fmt in formats():
        for width in target_widths(image.width, widths):
            height = max(1, round(image.height * width / image.width))
            resized = image.resize((width, height), Image.Resampling.LANCZOS)
            content = ContentFile(b"")
            options = dict(ENCODERS[fmt])
            resized.save(content, options.pop("format"), **options)
            name = storage.save(f"{folder}/{stem}-{width}w.{fmt}", content)
            files.append(
                {"format": fmt, "name": name, "width": width, "height": height}
            )
    return {"source": field_file.name, "files": files}


def delete_renditions(renditions: dict, storage=default_storage) -> None:
    for file in renditions.get("files", []):
        storage.delete(file["name"])


def update_renditions(
    field_file, renditions: dict, widths=WIDTHS, *, heights=()
) -> dict:
    """The renditions for the image now in the field.

    Kept when they are of the same stored file; otherwise new ones are made
    (an upload is written to storage first, as the model's save would) and
    the old ones are deleted once the transaction commits, so a rollback
    leaves the row's files in place. A stored original that cannot be read
    (gone from the disk) gets none, so the row still saves and the page
    shows the plain image.
    """
    renditions = renditions or {}
    committed = getattr(field_file, "_committed", True)
    if committed and renditions.get("source", "") == (field_file.name or ""):
        return renditions
    if not committed:
        field_file.save(field_file.name, field_file.file, save=False)
    storage = field_file.storage
    transaction.on_commit(lambda: delete_renditions(renditions, storage))
    if not field_file:
        return {}
    try:
        return make_renditions(field_file, widths, heights=heights)
    except OSError:
        logger.warning(
            "No renditions of %s: unreadable", field_file.name, exc_info=True
        )
        return {}


def refresh_renditions(instance, field, save_kwargs, widths=WIDTHS, *, heights=()):
    """From a model's ``save()``: bring ``<field>_renditions`` up to date with
    the image in ``field``, when this save writes that field."""
    update_fields = save_kwargs.get("update_fields")
    if update_fields is not None and field not in update_fields:
        return
    stored = f"{field}_renditions"
    setattr(
        instance,
        stored,
        update_renditions(
            getattr(instance, field),
            getattr(instance, stored),
            widths,
            heights=heights,
        ),
    )
    if update_fields is not None:
        save_kwargs["update_fields"] = {*update_fields, stored}


def delete_renditions_on_commit(renditions: dict) -> None:
    """From a model's ``delete()``: the files go once the row is gone for good."""
    transaction.on_commit(lambda: delete_renditions(renditions))


def picture_sources(renditions: dict) -> list[dict]:
    """One ``<source>`` per format: its MIME type and ``srcset`` string."""
    sources = []
    for fmt in formats():
        files = [f for f in renditions.get("files", []) if f["format"] == fmt]
        if files:
            srcset = ", ".join(
                f"{default_storage.url(f['name'])} {f['width']}w" for f in files
            )
            sources.append({"type": MIME_TYPES[fmt], "srcset": srcset})
    return sources


def _has_alpha(image):
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )

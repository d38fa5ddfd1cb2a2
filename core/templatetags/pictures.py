"""``{% picture %}``: an uploaded image as ``<picture>`` with AVIF/WebP sources."""

from django import template

from core.images import picture_sources

register = template.Library()


@register.inclusion_tag("includes/picture.html")
def picture(
    image,
    renditions,
    *,
    alt="",
    width=None,
    height=None,
    sizes="100vw",
    css_class="",
    priority=False,
    lazy=True,
):
    """The image at the width the browser needs; ``priority`` for the one
    image above the fold that matters most (fetched early), ``lazy=False``
    for others in view at first (fetched as usual)."""
    return {
        "src": image.url,
        "sources": picture_sources(renditions),
        "alt": alt,
        "width": width,
        "height": height,
        "sizes": sizes,
        "css_class": css_class,
        "priority": priority,
        "lazy": lazy,
    }

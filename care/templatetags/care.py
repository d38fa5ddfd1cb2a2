from django import template

from blog.models import Post
from care.models import posts_with_questions, site_locations

register = template.Library()


@register.simple_tag
def offered_locations():
    """The offered locations, for the footer of every page.

    The footer lists them only when there are two or more; with one or none
    the clinic profile's address shows, exactly as before locations existed.
    The list is cached, so most pages run no SQL for it.
    """
    return site_locations()


@register.inclusion_tag("care/includes/questions.html")
def selected_questions(page):
    """The FAQ questions staff picked for a post or a treatment page."""
    if isinstance(page, Post) and page.pk not in posts_with_questions():
        return {"questions": []}
    return {"questions": page.faq_questions.published()}


@register.simple_tag(takes_context=True)
def price(context, treatment):
    """A treatment's price in the clinic's currency: "from $450"."""
    clinic = context.get("clinic")
    return treatment.price_label(clinic.currency if clinic else "USD")

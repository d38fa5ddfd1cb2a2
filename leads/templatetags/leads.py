from django import template

from leads.attribution import MAX_LENGTHS, form_attribution
from leads.forms import SUBSCRIBE_CONSENT_TEXT, SubscribeForm

register = template.Library()


@register.inclusion_tag("leads/includes/newsletter_form.html", takes_context=True)
def newsletter_form(context, signup_id="box"):
    """The sign-up form for any page, without a form in the view's context.

    Field ids carry ``signup_id`` so the footer and a post's box can share a
    page. Rendering it runs no SQL.
    """
    request = context.get("request")
    form = SubscribeForm(
        auto_id=f"id_{signup_id}_%s",
        initial={"source_path": request.path if request else ""},
    )
    for name in ("email", "first_name"):
        form.fields[name].widget.attrs["class"] = "form-control"
    return {
        "form": form,
        "signup_id": signup_id,
        "consent_text": SUBSCRIBE_CONSENT_TEXT,
    }


@register.inclusion_tag("leads/includes/attribution_fields.html", takes_context=True)
def attribution_fields(context):
    """Hidden landing page, referrer and UTM inputs for the consultation form."""
    values = form_attribution(context["request"])
    return {"fields": [(name, values.get(name, "")) for name in MAX_LENGTHS]}

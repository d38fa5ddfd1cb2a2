"""The preferences page a subscriber reaches from any newsletter email.

No account: the link is signed (``tokens.make_preferences_token``), tied to
the row's unsubscribe token and expires after PREFERENCES_MAX_AGE; an
altered or expired link gets a friendly 400 page that says what to do.
Changes apply to the next mailing: deliveries already listed keep going.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from blog.models import Topic
from leads import tokens
from leads.models import Subscriber

FOLLOW_CHOICES = [
    (True, "Every new post"),
    (False, "Only posts in the topics I choose"),
]


class PreferencesForm(forms.ModelForm):
    """How often, and about what, one subscriber hears from the blog."""

    follows_all_topics = forms.TypedChoiceField(
        label="Which posts?",
        choices=FOLLOW_CHOICES,
        coerce=lambda value: value in (True, "True"),
        widget=forms.RadioSelect,
    )
    topics = forms.ModelMultipleChoiceField(
        label="Topics",
        queryset=Topic.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Subscriber
        fields = ["frequency", "follows_all_topics", "topics"]
        labels = {"frequency": "How often?"}
        widgets = {"frequency": forms.RadioSelect}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("follows_all_topics") is False and not cleaned.get("topics"):
            self.add_error("topics", "Choose at least one topic, or every new post.")
        return cleaned


def link_problem(request, problem):
    return render(
        request,
        "leads/preferences_invalid.html",
        {"problem": problem},
        status=400,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def subscriber_preferences(request, token):
    problem, pk = tokens.read_preferences_token(token)
    subscriber = pk and Subscriber.objects.filter(pk=pk).first()
    if problem != "ok" or not subscriber:
        return link_problem(request, problem)
    if not tokens.preferences_token_matches(token, subscriber):
        return link_problem(request, "invalid")
    form = PreferencesForm(request.POST or None, instance=subscriber)
    if request.method == "POST" and "unsubscribe" in request.POST:
        subscriber.unsubscribe(reason=Subscriber.UnsubscribeReason.PREFERENCES)
        messages.success(request, "You are unsubscribed: no more blog updates.")
        return redirect(request.path)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved. The change applies from the next email.")
        return redirect(request.path)
    return render(
        request,
        "leads/subscriber_preferences.html",
        {"subscriber": subscriber, "form": form},
        status=400 if form.errors else 200,
    )

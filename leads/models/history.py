"""What staff add to a lead over time: notes, and the recorded changes."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from leads.models.choices import LeadStatus


class LeadNote(models.Model):
    """An internal note a staff member wrote on a lead."""

    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        # Shown above each note in the admin, so it names neither the lead
        # nor its person.
        when = timezone.localtime(self.created_at) if self.created_at else None
        return f"Note by {self.author or 'someone'}" + (
            f", {when:%b %-d, %H:%M}" if when else ""
        )


class LeadEvent(models.Model):
    """One recorded change to a lead's status or assignee: who, what and when."""

    class Kind(models.TextChoices):
        STATUS = "status", "Status changed"
        ASSIGNEE = "assignee", "Assignee changed"

    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    old_value = models.CharField(max_length=150, blank=True)
    new_value = models.CharField(max_length=150, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.old_label} → {self.new_label}"

    @property
    def old_label(self):
        return self._label(self.old_value)

    @property
    def new_label(self):
        return self._label(self.new_value)

    def _label(self, value):
        if self.kind == self.Kind.STATUS:
            return dict(LeadStatus.choices).get(value, value)
        return value or "nobody"

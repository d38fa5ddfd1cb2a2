"""The access trail: who looked at which leads, exported them or looked a
person up, and when. Health data is read far more often than it is changed,
so reading leaves a trace too."""

from django.conf import settings
from django.db import models, transaction

from leads.models.queryset import CHUNK_SIZE


class LeadAccessQuerySet(models.QuerySet):
    def record(self, user, kind, lead_ids):
        """One access by ``user`` to the leads with ``lead_ids``."""
        lead_ids = sorted(set(lead_ids))
        with transaction.atomic():
            access = self.create(user=user, kind=kind, lead_count=len(lead_ids))
            Through = self.model.leads.through
            Through.objects.bulk_create(
                (Through(leadaccess=access, lead_id=pk) for pk in lead_ids),
                batch_size=CHUNK_SIZE,
            )
        return access


class LeadAccess(models.Model):
    class Kind(models.TextChoices):
        VIEW = "view", "Viewed the lead"
        EXPORT = "export", "Exported to CSV"
        PRIVACY = "privacy", "Personal-data lookup"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Kept apart from ``leads``: a deleted lead leaves the count whole.
    lead_count = models.PositiveIntegerField()
    leads = models.ManyToManyField("leads.Lead", related_name="accesses")

    objects = LeadAccessQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "lead access"
        verbose_name_plural = "lead accesses"

    def __str__(self):
        leads = "1 lead" if self.lead_count == 1 else f"{self.lead_count} leads"
        return f"{self.get_kind_display()} by {self.user or 'someone'}: {leads}"

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils import timezone


class PostDailyViews(models.Model):
    """How many readings a post had on one day: a count, nothing per person.

    One row per (post, day), added to by the view beacon (``count``); the
    staff insight pages read these rows instead of any log of visits.
    """

    post = models.ForeignKey(
        "blog.Post", on_delete=models.CASCADE, related_name="daily_views"
    )
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "post daily views"
        constraints = [
            models.UniqueConstraint(fields=["post", "day"], name="post_day_unique")
        ]
        indexes = [models.Index(fields=["day", "post"])]

    def __str__(self):
        return f"{self.post_id} on {self.day}: {self.views}"

    @classmethod
    def count(cls, post_id, day=None):
        """Add one view, atomically: update the row, else create it; a
        parallel beacon that created it first makes this an update again."""
        day = day or timezone.localdate()
        rows = cls.objects.filter(post_id=post_id, day=day)
        if rows.update(views=F("views") + 1):
            return
        try:
            with transaction.atomic():
                cls.objects.create(post_id=post_id, day=day, views=1)
        except IntegrityError:
            rows.update(views=F("views") + 1)

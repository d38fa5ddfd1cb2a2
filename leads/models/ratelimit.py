from django.db import models


class RateLimitCounter(models.Model):
    """Form posts counted for one client in one time window.

    Kept in the database so every web process and server shares the count;
    the client is stored as a keyed hash, never as a plain IP address.
    """

    key = models.CharField(max_length=120, unique=True)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.hits}"

from django.db import migrations


class Migration(migrations.Migration):
    """The newsletter's models moved to the newsletter app, which took over
    their tables; rate-limit counters (short-lived by nature) moved to core."""

    dependencies = [("leads", "0002_roles")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Delivery"),
                migrations.DeleteModel(name="PostAnnouncement"),
                migrations.DeleteModel(name="DigestRun"),
                migrations.DeleteModel(name="PostMailing"),
            ],
        ),
        migrations.DeleteModel(name="RateLimitCounter"),
    ]

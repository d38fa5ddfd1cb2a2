from django.db import migrations


class Migration(migrations.Migration):
    """The clinic profile moved to the core app, which took over its table."""

    dependencies = [
        ("clinic_site", "0001_initial"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ClinicProfile")],
        ),
    ]

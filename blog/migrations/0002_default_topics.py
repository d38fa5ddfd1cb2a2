from django.db import migrations

TOPICS = [
    ("Depression", "depression"),
    ("Anxiety", "anxiety"),
    ("PTSD", "ptsd"),
    ("Chronic pain", "chronic-pain"),
    ("Substance use", "substance-use"),
    ("Ketamine therapy", "ketamine-therapy"),
]


def add_topics(apps, schema_editor):
    Topic = apps.get_model("blog", "Topic")
    for name, slug in TOPICS:
        Topic.objects.get_or_create(slug=slug, defaults={"name": name})


def remove_unused_topics(apps, schema_editor):
    Topic = apps.get_model("blog", "Topic")
    Topic.objects.filter(slug__in=[slug for _, slug in TOPICS], posts=None).delete()


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]

    operations = [migrations.RunPython(add_topics, remove_unused_topics)]

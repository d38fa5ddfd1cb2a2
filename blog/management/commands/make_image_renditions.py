"""Make the AVIF/WebP renditions of images uploaded before there were any.

    python manage.py make_image_renditions

Post heroes, author photos and the clinic logo whose renditions are not of
their current file get them, through the same ``save()`` as an upload in
the admin; the others are left alone, so a second run makes nothing.
"""

from django.core.management.base import BaseCommand

from blog.models import Author, Post
from core.models import ClinicProfile

# Each model keeps an image's renditions in "<field>_renditions".
IMAGES = [(Post, "hero_image"), (Author, "photo"), (ClinicProfile, "logo")]


class Command(BaseCommand):
    help = "Make the renditions that uploaded images are missing."

    def handle(self, **options):
        made = unreadable = 0
        for model, field in IMAGES:
            for row in model.objects.exclude(**{field: ""}):
                image = getattr(row, field)
                renditions = f"{field}_renditions"
                if getattr(row, renditions).get("source") == image.name:
                    continue
                row.save(update_fields=[field])
                if getattr(row, renditions):
                    made += 1
                else:
                    unreadable += 1
                    self.stderr.write(f"Could not read {image.name}.")
        self.stdout.write(f"Made renditions of {made} image(s).")
        if unreadable:
            self.stdout.write(f"{unreadable} image(s) could not be read.")

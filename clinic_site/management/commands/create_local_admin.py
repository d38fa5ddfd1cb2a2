import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "On a development machine, create an admin login once and print its password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        if not settings.DEBUG:
            raise CommandError("create_local_admin only runs with DJANGO_DEBUG=1.")
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                "An admin login already exists; its password was printed once."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                "Created a local admin login (shown only this once):\n"
                f"  username: {username}\n  password: {password}"
            )
        )

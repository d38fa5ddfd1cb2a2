from django.contrib import admin  # noqa: F401

from leads import newsletter_admin  # noqa: E402,F401

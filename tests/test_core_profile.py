"""The clinic profile stays available to every page while the database is not."""

from unittest import mock

import pytest
from django.core.cache import caches
from django.db import OperationalError

from core.models import PROFILE_CACHE_KEY, ClinicProfile

pytestmark = pytest.mark.django_db

DOWN = mock.patch.object(
    ClinicProfile.objects, "get_or_create", side_effect=OperationalError("down")
)


def test_the_last_profile_read_is_used_while_the_database_is_down():
    ClinicProfile.objects.create(pk=1, name="Riverside Ketamine Care")
    ClinicProfile.current()
    caches["local"].delete(PROFILE_CACHE_KEY)  # its minute is over

    with DOWN:
        profile = ClinicProfile.current()

    assert profile.name == "Riverside Ketamine Care"


def test_a_process_that_never_read_the_profile_shows_the_defaults():
    with DOWN:
        profile = ClinicProfile.current()

    assert profile.name == ClinicProfile._meta.get_field("name").default

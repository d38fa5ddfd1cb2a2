import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    """Tests render templates without running collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_local_cache():
    """The per-process cache (clinic profile) starts empty in every test.

    The shared "default" cache lives in the test database, so each test's
    rollback already empties it.
    """
    from django.core.cache import caches

    caches["local"].clear()

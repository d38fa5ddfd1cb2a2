"""How django-allauth behaves for the clinic's staff sign-in."""

from allauth.account.adapter import DefaultAccountAdapter

from core.http import client_ip


class StaffAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        """Staff accounts are made in the admin; nobody signs up."""
        return False

    def get_client_ip(self, request):
        """The address allauth's rate limits count: the same one as axes'."""
        return client_ip(request)

    def get_reauthentication_methods(self, user):
        """The second factor first: exports and the personal-data tool ask
        for it, and asking for it again is also the stronger check for
        allauth's own account changes."""
        methods = super().get_reauthentication_methods(user)
        return sorted(methods, key=lambda method: not method["id"].startswith("mfa"))

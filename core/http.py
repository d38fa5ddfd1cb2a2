"""Small helpers about the HTTP request that several apps need."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The visitor's IP address, as seen by the proxy the site trusts.

    With ``CLIENT_IP_HEADER`` unset, REMOTE_ADDR is the only answer: any
    X-Forwarded-For the visitor sends is ignored. When a proxy is trusted,
    its header may hold a list (X-Forwarded-For); the proxy appends the
    address it saw, so the last entry is the one it vouches for, and entries
    further left are whatever the client claimed.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    header = settings.CLIENT_IP_HEADER
    if not header:
        return remote_addr
    value = request.META.get(header, "").split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return remote_addr

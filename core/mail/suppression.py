"""The suppression list: addresses that bounced or complained get no more mail.

Every send checks it, whichever app the email is for, so an address refused
for a newsletter is not mailed a lead confirmation, and the other way round.
"""

from email.utils import parseaddr

from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower

from core.models import SuppressedAddress


def normalize(address: str) -> str:
    """The bare, lowercase address of "Name <Address>" or "Address"."""
    return parseaddr(str(address))[1].strip().lower()


def suppressed(addresses) -> set[str]:
    """The normalized addresses among ``addresses`` that are suppressed."""
    wanted = {normalize(address) for address in addresses} - {""}
    if not wanted:
        return set()
    return set(
        SuppressedAddress.objects.filter(address__in=wanted).values_list(
            "address", flat=True
        )
    )


def deliverable(addresses) -> list[str]:
    """``addresses`` without the suppressed ones, in their order."""
    addresses = list(addresses)
    blocked = suppressed(addresses)
    return [address for address in addresses if normalize(address) not in blocked]


def suppress(addresses, reason=SuppressedAddress.Reason.BOUNCED, detail="") -> None:
    """Put ``addresses`` on the list; ones already there keep their first entry."""
    rows = [
        SuppressedAddress(address=address, reason=reason, detail=detail[:200])
        for address in {normalize(address) for address in addresses} - {""}
    ]
    SuppressedAddress.objects.bulk_create(rows, ignore_conflicts=True)


def is_suppressed_expression(field: str) -> Exists:
    """A query expression: the row's ``field`` (an address) is suppressed.

    For sweeps that must not queue mail to suppressed addresses again:
    ``Lead.objects.exclude(is_suppressed_expression("email"))``.
    """
    return Exists(SuppressedAddress.objects.filter(address=Lower(OuterRef(field))))

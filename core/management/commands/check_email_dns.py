"""Check a sending domain's SPF, DKIM and DMARC records (dnspython).

    python manage.py check_email_dns clinic.example --dkim-selector s1

Prints what each record says and what is missing, and exits with an error
while any of them is missing, so it can run in a deploy check.
"""

import dns.exception
import dns.resolver
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# What each provider's SPF record must include for its servers to pass.
PROVIDER_SPF = {
    "amazon_ses": "include:amazonses.com",
    "postmark": "include:spf.mtasv.net",
    "mailgun": "include:mailgun.org",
    "sendgrid": "include:sendgrid.net",
    "brevo": "include:spf.brevo.com",
}


class Command(BaseCommand):
    help = "Report the SPF, DKIM and DMARC records of an email domain."

    def add_arguments(self, parser):
        parser.add_argument("domain")
        parser.add_argument(
            "--dkim-selector",
            help="The DKIM selector your provider gave you (s1, pm, mta …).",
        )
        parser.add_argument(
            "--nameserver", help="Ask this DNS server instead of the system's."
        )
        parser.add_argument("--port", type=int, default=53)

    def handle(self, *, domain, dkim_selector, nameserver, port, **options):
        domain = domain.strip().rstrip(".").lower()
        if not domain or " " in domain:
            raise CommandError("Give a domain name, such as clinic.example.")
        resolver = dns.resolver.Resolver(configure=not nameserver)
        if nameserver:
            resolver.nameservers = [nameserver]
            resolver.port = port
        resolver.lifetime = 5
        missing = []
        for name, check in [
            ("SPF", lambda: self.check_spf(resolver, domain)),
            ("DKIM", lambda: self.check_dkim(resolver, domain, dkim_selector)),
            ("DMARC", lambda: self.check_dmarc(resolver, domain)),
        ]:
            ok, lines = check()
            style = self.style.SUCCESS if ok else self.style.ERROR
            self.stdout.write(style(f"{name}: {'found' if ok else 'missing'}"))
            for line in lines:
                self.stdout.write(f"  {line}")
            if not ok:
                missing.append(name)
        if missing:
            raise CommandError(f"Missing or incomplete: {', '.join(missing)}")

    def check_spf(self, resolver, domain):
        records = [t for t in txt(resolver, domain) if t.lower().startswith("v=spf1")]
        if not records:
            return False, [
                f'Add a TXT record at {domain}: "v=spf1 {self.spf_hint()} ~all"'
            ]
        if len(records) > 1:
            return False, [
                f"{len(records)} SPF records; receivers ignore all of them. "
                "Merge them into one.",
                *records,
            ]
        lines = [records[0]]
        include = PROVIDER_SPF.get(settings.EMAIL_PROVIDER)
        if include and include not in records[0].split():
            lines.append(f"It does not list {include} ({settings.EMAIL_PROVIDER}).")
            return False, lines
        return True, lines

    def spf_hint(self):
        return PROVIDER_SPF.get(settings.EMAIL_PROVIDER, "include:<your provider>")

    def check_dkim(self, resolver, domain, selector):
        if not selector:
            return False, [
                "Give --dkim-selector (your provider's DKIM settings name it) "
                "to check the DKIM key."
            ]
        name = f"{selector}._domainkey.{domain}"
        records = [t for t in txt(resolver, name) if "p=" in t]
        if not records:
            return False, [
                f"No DKIM key at {name}: add the record your provider gives."
            ]
        if "p=;" in records[0].replace(" ", "") or records[0].rstrip().endswith("p="):
            return False, [f"The key at {name} is empty (revoked)."]
        return True, [f"{name}: {records[0][:80]}…"]

    def check_dmarc(self, resolver, domain):
        name = f"_dmarc.{domain}"
        records = [t for t in txt(resolver, name) if t.lower().startswith("v=dmarc1")]
        if not records:
            return False, [
                f'Add a TXT record at {name}: "v=DMARC1; p=none; '
                f'rua=mailto:dmarc@{domain}" (Gmail and Yahoo require one).'
            ]
        tags = dict(
            part.strip().split("=", 1) for part in records[0].split(";") if "=" in part
        )
        lines = [records[0], f"Policy: p={tags.get('p', '(none given)')}"]
        return "p" in tags, lines


def txt(resolver, name) -> list[str]:
    """The TXT strings at ``name`` (each record's pieces joined), or []."""
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.DNSException, OSError) as error:
        raise CommandError(f"Could not ask DNS about {name}: {error}") from error
    return [b"".join(record.strings).decode(errors="replace") for record in answer]

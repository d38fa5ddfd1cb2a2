"""manage.py check_email_dns against a DNS server on loopback (issue 11)."""

import socket
import threading
from io import StringIO

import dns.message
import dns.rcode
import dns.rrset
import pytest
from django.core.management import CommandError, call_command

ZONE = {
    "clinic.example.": [
        '"v=spf1 include:spf.mtasv.net ~all"',
        '"google-site-verification=x"',
    ],
    "pm._domainkey.clinic.example.": [
        '"k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC3" "QEKyU1fSma0axspqYK5iAj"'
    ],
    "_dmarc.clinic.example.": [
        '"v=DMARC1; p=quarantine; rua=mailto:dmarc@clinic.example"'
    ],
    "bare.example.": ['"hello"'],
    "twospf.example.": ['"v=spf1 -all"', '"v=spf1 include:mailgun.org ~all"'],
}


class LoopbackDNS:
    """A tiny authoritative DNS server over UDP, built on dnspython's message API."""

    def __init__(self, zone):
        self.zone = zone
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.queries = []
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                wire, client = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(wire)
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().lower()
            self.queries.append(name)
            records = self.zone.get(name)
            if records is None:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.TXT:
                response.answer.append(
                    dns.rrset.from_text_list(name, 300, "IN", "TXT", records)
                )
            self.sock.sendto(response.to_wire(), client)

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def dns_server():
    server = LoopbackDNS(ZONE)
    yield server
    server.stop()


def check(dns_server, domain, *args):
    out = StringIO()
    error = None
    try:
        call_command(
            "check_email_dns",
            domain,
            "--nameserver",
            "127.0.0.1",
            "--port",
            str(dns_server.port),
            *args,
            stdout=out,
        )
    except CommandError as raised:
        error = str(raised)
    return out.getvalue(), error


def test_complete_domain_reports_all_three_records(dns_server, settings):
    settings.EMAIL_PROVIDER = "postmark"

    out, error = check(dns_server, "clinic.example", "--dkim-selector", "pm")

    assert error is None
    assert "SPF: found" in out and "include:spf.mtasv.net" in out
    assert "DKIM: found" in out
    assert "DMARC: found" in out and "p=quarantine" in out
    assert "_dmarc.clinic.example." in dns_server.queries


def test_domain_without_records_says_what_to_add(dns_server):
    out, error = check(dns_server, "bare.example", "--dkim-selector", "s1")

    assert error == "Missing or incomplete: SPF, DKIM, DMARC"
    assert 'Add a TXT record at bare.example: "v=spf1' in out
    assert "No DKIM key at s1._domainkey.bare.example" in out
    assert "Add a TXT record at _dmarc.bare.example" in out


def test_without_a_selector_dkim_is_reported_as_unchecked(dns_server):
    out, error = check(dns_server, "clinic.example")

    assert "Give --dkim-selector" in out
    assert error == "Missing or incomplete: DKIM"


def test_two_spf_records_are_reported(dns_server):
    out, error = check(dns_server, "twospf.example", "--dkim-selector", "s1")

    assert "2 SPF records" in out
    assert "SPF" in error


def test_spf_without_the_providers_include_is_reported(dns_server, settings):
    settings.EMAIL_PROVIDER = "mailgun"

    out, error = check(dns_server, "clinic.example", "--dkim-selector", "pm")

    assert "It does not list include:mailgun.org" in out
    assert error == "Missing or incomplete: SPF"


def test_unreachable_dns_server_is_a_clear_error():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(CommandError, match="Could not ask DNS"):
        call_command(
            "check_email_dns",
            "clinic.example",
            "--nameserver",
            "127.0.0.1",
            "--port",
            str(port),
            stdout=StringIO(),
        )

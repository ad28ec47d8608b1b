"""HTTPS through the guarded transport: we connect to the checked address, yet the certificate
is still verified against the host name of the URL (SNI and hostname checks intact)."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from newswire_testing import webserver as web

from newswire.ingest.fetch import FetchConnectionError, Fetcher, FetchSettings

HOST = "secure.example"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_pki(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for HOST signed by it: (ca, cert, key) PEM paths."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("newswire test CA"))
        .issuer_name(_name("newswire test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(HOST))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


def _secure_page(context: web.RequestContext) -> web.Reply:
    body = b"<html><body><p>secure page</p></body></html>"
    return web.Reply(200, {"Content-Type": "text/html; charset=utf-8"}, body)


def _no_robots(context: web.RequestContext) -> web.Reply:
    return web.Reply(404, {"Content-Type": "text/html; charset=utf-8"}, b"")


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    ca, cert, key = _write_pki(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = web.WebServer(tls=context)
    server.routes.update({"/story.html": _secure_page, "/robots.txt": _no_robots})
    server.start()
    try:
        yield server.port, ca
    finally:
        server.stop()


def _fetcher(tmp_path: Path, port: int, context: ssl.SSLContext | None) -> Fetcher:
    resolver = web.table_resolver(
        {HOST: [web.PUBLIC_TEST_ADDRESS], "impostor.example": [web.PUBLIC_TEST_ADDRESS]}
    )
    return Fetcher(
        tmp_path / "state",
        FetchSettings(max_retries=2, backoff_base_seconds=0.01),
        resolver=resolver,
        connector=web.loopback_connector(port),
        sleep=lambda seconds: None,
        ssl_context=context,
    )


def test_https_verifies_the_certificate_against_the_url_host(tmp_path: Path, tls_server: Any):
    port, ca = tls_server
    with _fetcher(tmp_path, port, ssl.create_default_context(cafile=str(ca))) as fetcher:
        result = fetcher.fetch(f"https://{HOST}:{port}/story.html")

    assert result.status == 200
    assert b"secure page" in result.body


def test_https_certificate_for_another_name_is_a_tls_failure(tmp_path: Path, tls_server: Any):
    port, ca = tls_server
    with (
        _fetcher(tmp_path, port, ssl.create_default_context(cafile=str(ca))) as fetcher,
        pytest.raises(FetchConnectionError, match="TLS failure"),
    ):
        fetcher.fetch(f"https://impostor.example:{port}/story.html")


def test_https_untrusted_issuer_is_a_tls_failure(tmp_path: Path, tls_server: Any):
    port, _ = tls_server
    with (
        _fetcher(tmp_path, port, None) as fetcher,
        pytest.raises(FetchConnectionError, match="TLS failure"),
    ):
        fetcher.fetch(f"https://{HOST}:{port}/story.html")

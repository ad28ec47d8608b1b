"""The secured local stack's material: a CA, a loopback server certificate and credentials.

Generated once, at the first secured ``stack up``, into ``<stack home>/security`` and reused
afterwards (the Kafka SCRAM credentials are written into the broker's storage when it is
formatted, so they cannot change later). Everything is made offline with ``cryptography``; the
private keys and ``credentials.json`` are readable by their owner alone.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import SecretStr

from newswire.fsutil import write_bytes_atomically, write_text_atomically
from newswire.settings import ElasticsearchSettings, KafkaSettings
from newswire.stack.errors import StackError

ES_USER = "newswire"
ES_ROLE = "newswire_app"
KAFKA_USER = "newswire"
KAFKA_ADMIN = "admin"  # the broker's own inter-broker identity
KAFKA_PROTOCOL = "SASL_SSL"
KAFKA_MECHANISM = "SCRAM-SHA-512"
CERT_DAYS = 825
PBKDF2_ITERATIONS = 10_000

# What newswire does on Elasticsearch: templates, its own indices, health probes, API keys of
# its own (a deployment that wants keys per service creates them as this user).
ROLES_YML = f"""\
{ES_ROLE}:
  cluster: ["monitor", "manage_index_templates", "manage_own_api_key"]
  indices:
    - names: ["news-*", "newswire-*"]
      privileges: ["all"]
"""


@dataclass(frozen=True, slots=True)
class Credentials:
    """The generated passwords (kept in ``credentials.json``)."""

    es_password: str
    kafka_password: str
    kafka_admin_password: str


@dataclass(frozen=True, slots=True)
class SecurityLayout:
    """The files of ``<stack home>/security``."""

    root: Path

    @property
    def ca_cert(self) -> Path:
        """The CA certificate clients trust (``NEWSWIRE_ES_CA_CERTS``, ``..._KAFKA_SSL_CAFILE``)."""
        return self.root / "ca.crt"

    @property
    def ca_key(self) -> Path:
        """The CA's private key (kept only to sign a new server certificate)."""
        return self.root / "ca.key"

    @property
    def server_cert(self) -> Path:
        """The servers' certificate (127.0.0.1 and localhost), signed by the CA."""
        return self.root / "server.crt"

    @property
    def server_key(self) -> Path:
        """The servers' private key, PKCS#8 PEM."""
        return self.root / "server.key"

    @property
    def credentials(self) -> Path:
        """``credentials.json``: the generated passwords."""
        return self.root / "credentials.json"


PRIVATE = 0o600


def _write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with a file only its owner reads (never readable by others)."""
    write_bytes_atomically(path, data, mode=PRIVATE)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "newswire local stack"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """A CA signs certificates; a server signs handshakes and (RSA) receives key exchanges."""
    return x509.KeyUsage(
        digital_signature=True,
        key_encipherment=not ca,
        key_cert_sign=ca,
        crl_sign=ca,
        content_commitment=False,
        data_encipherment=False,
        key_agreement=False,
        encipher_only=False,
        decipher_only=False,
    )


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def generate_certificates(layout: SecurityLayout, *, now: dt.datetime | None = None) -> None:
    """Write a new CA and a server certificate for 127.0.0.1 / localhost signed by it."""
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    end = start + dt.timedelta(days=CERT_DAYS)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = _name("newswire local stack CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(layout.ca_key, _pem_key(ca_key))
    _write_private(layout.server_key, _pem_key(key))
    write_text_atomically(
        layout.server_cert, cert.public_bytes(serialization.Encoding.PEM).decode()
    )
    write_text_atomically(layout.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM).decode())


def read_credentials(layout: SecurityLayout) -> Credentials | None:
    """The stored credentials, or None when none were generated yet."""
    try:
        return Credentials(**json.loads(layout.credentials.read_text()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise StackError(
            f"the stack credentials {layout.credentials} are unreadable ({exc}); "
            "run `newswire stack down` and remove the stack folder to start afresh"
        ) from exc


def certificates_problem(layout: SecurityLayout) -> str | None:
    """Why the stored CA, server certificate and key cannot be used; None when they can.

    Each file must parse (a truncated one does not) and the key must be the certificate's.
    """
    try:
        x509.load_pem_x509_certificate(layout.ca_cert.read_bytes())
        serialization.load_pem_private_key(layout.ca_key.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(layout.server_cert.read_bytes())
        key = serialization.load_pem_private_key(layout.server_key.read_bytes(), password=None)
    except FileNotFoundError as exc:
        return f"{exc.filename} is missing"
    except (OSError, ValueError, TypeError) as exc:
        return f"a certificate or key in {layout.root} is unreadable ({exc})"
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(
        serialization.Encoding.DER, public
    ) != cert.public_key().public_bytes(serialization.Encoding.DER, public):
        return f"{layout.server_key} is not the key of {layout.server_cert}"
    return None


def load_or_create(layout: SecurityLayout, *, kafka_formatted: bool = False) -> Credentials:
    """The stack's credentials and certificates, generated on first use.

    Certificates that do not load are made anew. Passwords are made only for a new stack:
    ``kafka_formatted`` says the broker's storage holds SCRAM users already, whose passwords
    new ones would not match.
    """
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.root.chmod(0o755)
    if certificates_problem(layout) is not None:
        generate_certificates(layout)
    found = read_credentials(layout)
    if found is not None:
        return found
    if kafka_formatted:
        raise StackError(
            f"the stack credentials {layout.credentials} are missing but Kafka's storage was "
            "already formatted with SCRAM users of the old passwords; run `newswire stack down` "
            "and remove the stack folder to start afresh"
        )
    credentials = Credentials(
        es_password=secrets.token_urlsafe(24),
        kafka_password=secrets.token_urlsafe(24),
        kafka_admin_password=secrets.token_urlsafe(24),
    )
    _write_private(layout.credentials, json.dumps(asdict(credentials), indent=2).encode())
    return credentials


def pbkdf2_hash(password: str, *, iterations: int = PBKDF2_ITERATIONS) -> str:
    """A password hash in Elasticsearch's ``{PBKDF2}`` format (PBKDF2-HMAC-SHA512, 256 bits).

    The file realm recognises the hash by its prefix, so no hashing tool of the distribution
    (and no JVM start) is needed to write ``users``.
    """
    salt = secrets.token_bytes(32)
    derived = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, dklen=32)
    return (
        f"{{PBKDF2}}{iterations}${base64.b64encode(salt).decode()}"
        f"${base64.b64encode(derived).decode()}"
    )


def es_users_file(credentials: Credentials) -> str:
    """The file realm's ``users``: newswire's user and its password hash."""
    return f"{ES_USER}:{pbkdf2_hash(credentials.es_password)}\n"


def es_users_roles_file() -> str:
    """The file realm's ``users_roles``: newswire's user has newswire's role."""
    return f"{ES_ROLE}:{ES_USER}\n"


def kafka_scram_arguments(credentials: Credentials) -> list[str]:
    """``kafka-storage format`` arguments that create the SCRAM users at format time.

    They hold the passwords: they go to the tool in an ``@file`` (see
    :meth:`newswire.stack.kafka.KafkaServer.format_storage`), never on its command line.
    """
    return [
        "--add-scram",
        f"{KAFKA_MECHANISM}=[name={KAFKA_ADMIN},password={credentials.kafka_admin_password}]",
        "--add-scram",
        f"{KAFKA_MECHANISM}=[name={KAFKA_USER},password={credentials.kafka_password}]",
    ]


def client_settings(
    bootstrap: str, url: str, *, layout: SecurityLayout | None, credentials: Credentials | None
) -> tuple[KafkaSettings, ElasticsearchSettings]:
    """The settings a client of this stack uses (every field given, none read elsewhere)."""
    if layout is None or credentials is None:
        return (
            KafkaSettings(
                bootstrap_servers=bootstrap,
                security_protocol="PLAINTEXT",
                sasl_mechanism=None,
                sasl_username=None,
                sasl_password=None,
                ssl_cafile=None,
            ),
            ElasticsearchSettings(
                url=url, username=None, password=None, api_key=None, ca_certs=None
            ),
        )
    return (
        KafkaSettings(
            bootstrap_servers=bootstrap,
            security_protocol=KAFKA_PROTOCOL,
            sasl_mechanism=KAFKA_MECHANISM,
            sasl_username=KAFKA_USER,
            sasl_password=SecretStr(credentials.kafka_password),
            ssl_cafile=layout.ca_cert,
        ),
        ElasticsearchSettings(
            url=url,
            username=ES_USER,
            password=SecretStr(credentials.es_password),
            api_key=None,
            ca_certs=layout.ca_cert,
        ),
    )


def environment_lines(kafka: KafkaSettings, elasticsearch: ElasticsearchSettings) -> list[str]:
    """``stack.env`` lines for these client settings (only the fields that are set)."""
    values: dict[str, object | None] = {
        "NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "NEWSWIRE_KAFKA_SECURITY_PROTOCOL": (
            kafka.security_protocol if kafka.security_protocol != "PLAINTEXT" else None
        ),
        "NEWSWIRE_KAFKA_SASL_MECHANISM": kafka.sasl_mechanism,
        "NEWSWIRE_KAFKA_SASL_USERNAME": kafka.sasl_username,
        "NEWSWIRE_KAFKA_SASL_PASSWORD": (
            kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
        ),
        "NEWSWIRE_KAFKA_SSL_CAFILE": kafka.ssl_cafile,
        "NEWSWIRE_ES_URL": elasticsearch.url,
        "NEWSWIRE_ES_CA_CERTS": elasticsearch.ca_certs,
        "NEWSWIRE_ES_USERNAME": elasticsearch.username,
        "NEWSWIRE_ES_PASSWORD": (
            elasticsearch.password.get_secret_value() if elasticsearch.password else None
        ),
    }
    return [f"{name}={value}" for name, value in values.items() if value is not None]

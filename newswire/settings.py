"""Typed settings, one object per service, read from the environment.

The local stack (``newswire stack up``) writes its connection settings to ``stack.env`` in its run
directory. The Kafka and Elasticsearch settings read that file for a service only when nothing
else names that service's address: once ``NEWSWIRE_KAFKA_BOOTSTRAP_SERVERS`` (or
``NEWSWIRE_ES_URL``) is set, the file gives that service nothing, so the local stack's login never
goes to another cluster. Nothing else in newswire reads environment variables.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, FilePath, SecretStr, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def default_stack_home() -> Path:
    """Where the local stack keeps its data, logs and state.

    Elasticsearch refuses to run as root, so as root the stack runs it as a dedicated user, which
    cannot enter ``/root``: root's default is therefore under ``/var/lib``.
    """
    explicit = os.environ.get("NEWSWIRE_STACK_HOME")
    if explicit:
        return Path(explicit)
    if os.geteuid() == 0:
        return Path("/var/lib/newswire/stack")
    return _xdg("XDG_STATE_HOME", ".local/state") / "newswire" / "stack"


def default_cache_dir() -> Path:
    """Per-user cache of downloaded artifacts (Kafka jars, the Elasticsearch zip)."""
    explicit = os.environ.get("NEWSWIRE_STACK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return _xdg("XDG_CACHE_HOME", ".cache") / "newswire"


def stack_env_file() -> Path:
    """The file in which ``stack up`` records the connection settings of the running stack."""
    return default_stack_home() / "stack.env"


def milliseconds(seconds: float) -> int:
    """A duration setting in seconds as the whole milliseconds Kafka's clients take."""
    return round(seconds * 1000)


def _seconds_from_ms(value: object) -> object:
    """An old millisecond setting's value in seconds; not a number, it is left for validation."""
    try:
        return float(value) / 1000  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return value


class _OldEnvNames(PydanticBaseSettingsSource):
    """The environment under the old names of renamed fields (``<env_prefix><OLD NAME>``).

    ``renamed`` maps a field to its old name and whether that name held milliseconds (a value
    under it is then read as seconds).
    """

    def __init__(
        self, settings_cls: type[BaseSettings], renamed: Mapping[str, tuple[str, bool]]
    ) -> None:
        super().__init__(settings_cls)
        self._renamed = renamed

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: :meth:`__call__` reads every renamed field at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        prefix = str(self.config.get("env_prefix", ""))
        environ = {key.upper(): value for key, value in os.environ.items()}
        found: dict[str, Any] = {}
        ignore_empty = bool(self.config.get("env_ignore_empty", False))
        for new, (old, from_ms) in self._renamed.items():
            value = environ.get(f"{prefix}{old}".upper())
            if value is not None and not (ignore_empty and value == ""):
                found[new] = _seconds_from_ms(value) if from_ms else value
        return found


class RenamedSettings(BaseSettings):
    """Settings whose renamed fields still read their old environment names.

    ``RENAMED`` maps a field to its old name; the new name wins when both are set.
    ``RENAMED_FROM_MS`` does the same for a duration in seconds whose old name held
    milliseconds (``poll_timeout_seconds`` from ``..._POLL_TIMEOUT_MS``): an old value is
    converted. Old names given as arguments count too, converted alike.
    ``ENV_FILE_ADDRESS_FIELD``, when set, names the field (a service's address) whose value in
    any other source turns the env file off entirely: its values then do not mix in.
    """

    RENAMED: ClassVar[Mapping[str, str]] = {}
    RENAMED_FROM_MS: ClassVar[Mapping[str, str]] = {}
    ENV_FILE_ADDRESS_FIELD: ClassVar[str | None] = None

    @classmethod
    def _old_names(cls) -> dict[str, tuple[str, bool]]:
        """Each renamed field's old name, and whether that name held milliseconds."""
        names = {new: (old, False) for new, old in cls.RENAMED.items()}
        names.update({new: (old, True) for new, old in cls.RENAMED_FROM_MS.items()})
        return names

    @model_validator(mode="before")
    @classmethod
    def _old_argument_names(cls, data: Any) -> Any:
        """Arguments under an old name (``poll_timeout_ms=200``) as their field's (0.2)."""
        if not isinstance(data, dict):
            return data
        renamed = cls._old_names()
        if not any(old in data for old, _ in renamed.values()):
            return data
        data = dict(data)
        for new, (old, from_ms) in renamed.items():
            if old in data:
                value = data.pop(old)
                if new not in data:
                    data[new] = _seconds_from_ms(value) if from_ms else value
        return data

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The usual sources, with the old names of renamed fields below the environment's."""
        old_names = _OldEnvNames(settings_cls, cls._old_names())
        env_file = dotenv_settings
        if cls.ENV_FILE_ADDRESS_FIELD is not None:
            env_file = _EnvFileForOneService(
                settings_cls,
                dotenv_settings,
                cls.ENV_FILE_ADDRESS_FIELD,
                (init_settings, env_settings, old_names),
            )
        return (init_settings, env_settings, old_names, env_file, file_secret_settings)


class _EnvFileForOneService(PydanticBaseSettingsSource):
    """The env file's (``stack.env``'s) values for one service, all or nothing.

    The file is the local stack's; when another source (arguments, the environment, an old
    variable name) names the service's address, the caller talks to another cluster and the
    file's credentials, CA and protocol must not follow it there.
    """

    def __init__(
        self,
        settings_cls: type[BaseSettings],
        env_file: PydanticBaseSettingsSource,
        address_field: str,
        overriding: tuple[PydanticBaseSettingsSource, ...],
    ) -> None:
        super().__init__(settings_cls)
        self._env_file = env_file
        self._address_field = address_field
        self._overriding = overriding

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        """Unused: :meth:`__call__` decides for the whole service at once."""
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        for source in self._overriding:
            if source().get(self._address_field) is not None:
                return {}
        return self._env_file()


class _ReadsStackEnv(RenamedSettings):
    """Settings that also read the running local stack's ``stack.env``.

    The file's location depends on ``NEWSWIRE_STACK_HOME``, so it is looked up when the object
    is created, not when this module is imported. ``ENV_FILE_ADDRESS_FIELD`` names the field
    whose value elsewhere turns the file off for this service. An empty variable counts as
    unset, and a validation error never quotes the values given (pydantic would print the
    passwords).
    """

    model_config = SettingsConfigDict(hide_input_in_errors=True, env_ignore_empty=True)

    def __init__(self, **values: Any) -> None:
        values.setdefault("_env_file", stack_env_file())
        super().__init__(**values)


KAFKA_SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
KAFKA_SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI")
KAFKA_LOGIN_FREE_MECHANISMS = ("GSSAPI",)  # Kerberos: the ticket cache / keytab is the login


class KafkaSettings(_ReadsStackEnv):
    """How to reach Kafka (env prefix ``NEWSWIRE_KAFKA_``).

    A secured cluster takes ``security_protocol`` (``SASL_SSL``, ``SASL_PLAINTEXT``, ``SSL``),
    ``sasl_mechanism`` (``PLAIN``, ``SCRAM-SHA-256``, ``SCRAM-SHA-512`` with
    ``sasl_username``/``sasl_password``; ``GSSAPI``, Kerberos, with neither), and ``ssl_cafile``
    (the CA that signed the brokers' certificates; the system's trust store when unset).
    """

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_KAFKA_", extra="ignore", frozen=True)
    ENV_FILE_ADDRESS_FIELD: ClassVar[str | None] = "bootstrap_servers"
    RENAMED_FROM_MS: ClassVar[Mapping[str, str]] = {"request_timeout_seconds": "request_timeout_ms"}

    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = "newswire"
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: FilePath | None = None
    request_timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("security_protocol", "sasl_mechanism", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().upper() or None
        return value

    @model_validator(mode="after")
    def _check_security(self) -> KafkaSettings:
        if self.security_protocol not in KAFKA_SECURITY_PROTOCOLS:
            raise ValueError(
                f"NEWSWIRE_KAFKA_SECURITY_PROTOCOL must be one of {', '.join(KAFKA_SECURITY_PROTOCOLS)}, "
                f"not {self.security_protocol!r}"
            )
        if self.security_protocol.startswith("SASL_"):
            if self.sasl_mechanism not in KAFKA_SASL_MECHANISMS:
                raise ValueError(
                    f"{self.security_protocol} needs NEWSWIRE_KAFKA_SASL_MECHANISM, one of "
                    f"{', '.join(KAFKA_SASL_MECHANISMS)} (got {self.sasl_mechanism!r})"
                )
            needs_login = self.sasl_mechanism not in KAFKA_LOGIN_FREE_MECHANISMS
            if needs_login and (not self.sasl_username or self.sasl_password is None):
                raise ValueError(
                    f"{self.security_protocol} needs NEWSWIRE_KAFKA_SASL_USERNAME and "
                    "NEWSWIRE_KAFKA_SASL_PASSWORD"
                )
        elif self.sasl_mechanism is not None:
            raise ValueError(
                f"NEWSWIRE_KAFKA_SASL_MECHANISM is set but the security protocol is "
                f"{self.security_protocol}; use SASL_SSL or SASL_PLAINTEXT"
            )
        return self

    def address(self) -> str:
        """The bootstrap servers, and how we log in, for error messages (never the password).

        kafka-python reports a refused SASL login as a lost connection, so the message says
        which login was tried.
        """
        if not self.security_protocol.startswith("SASL_"):
            return f"{self.bootstrap_servers} ({self.security_protocol})"
        if self.sasl_mechanism in KAFKA_LOGIN_FREE_MECHANISMS:
            return f"{self.bootstrap_servers} ({self.security_protocol}, {self.sasl_mechanism})"
        return (
            f"{self.bootstrap_servers} ({self.security_protocol}, {self.sasl_mechanism} as "
            f"{self.sasl_username!r}; a refused login also shows as a lost connection)"
        )

    def client_options(self) -> dict[str, object]:
        """Keyword arguments shared by kafka-python producers, consumers and admin clients."""
        options: dict[str, object] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
            "request_timeout_ms": milliseconds(self.request_timeout_seconds),
        }
        if self.sasl_mechanism in KAFKA_LOGIN_FREE_MECHANISMS:
            options["sasl_mechanism"] = self.sasl_mechanism
        elif self.sasl_mechanism:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            if self.sasl_password is not None:
                options["sasl_plain_password"] = self.sasl_password.get_secret_value()
        if self.ssl_cafile is not None:
            options["ssl_cafile"] = str(self.ssl_cafile)
        return options


class ElasticsearchSettings(_ReadsStackEnv):
    """How to reach Elasticsearch (env prefix ``NEWSWIRE_ES_``).

    A secured cluster takes ``username``/``password`` (basic authentication) or ``api_key``
    (the ``encoded`` value Elasticsearch returns when it creates a key; it wins over a
    password), and ``ca_certs``, the CA that signed the node's HTTP certificate (the system's
    trust store when unset). Certificates are always verified.
    """

    model_config = SettingsConfigDict(env_prefix="NEWSWIRE_ES_", extra="ignore", frozen=True)
    ENV_FILE_ADDRESS_FIELD: ClassVar[str | None] = "url"

    url: str = "http://127.0.0.1:9200"
    username: str | None = None
    password: SecretStr | None = None
    api_key: SecretStr | None = None
    ca_certs: FilePath | None = None
    RENAMED: ClassVar[Mapping[str, str]] = {"request_timeout_seconds": "request_timeout"}

    request_timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _check_credentials(self) -> ElasticsearchSettings:
        if self.api_key is None and (self.username is None) != (self.password is None):
            raise ValueError(
                "NEWSWIRE_ES_USERNAME and NEWSWIRE_ES_PASSWORD go together: set both or neither"
            )
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(
                f"NEWSWIRE_ES_URL must start with http:// or https://, not {self.url!r}"
            )
        return self

    def client_options(self) -> dict[str, object]:
        """Keyword arguments for ``elasticsearch.Elasticsearch``."""
        options: dict[str, object] = {
            "hosts": [self.url],
            "request_timeout": self.request_timeout_seconds,
        }
        if self.api_key is not None:
            options["api_key"] = self.api_key.get_secret_value()
        elif self.username and self.password is not None:
            options["basic_auth"] = (self.username, self.password.get_secret_value())
        if self.ca_certs is not None:
            options["ca_certs"] = str(self.ca_certs)
        elif self.url.startswith("https://"):
            # The client's own default is certifi's bundle, not the system's trust store.
            options["ssl_context"] = ssl.create_default_context()
        return options

    def http_options(self) -> dict[str, Any]:
        """Keyword arguments for an ``httpx`` request to the same node, with the same credentials.

        For the few plain HTTP probes (the local stack's health checks) that do not go through
        the Elasticsearch client.
        """
        options: dict[str, Any] = {}
        if self.api_key is not None:
            options["headers"] = {"Authorization": f"ApiKey {self.api_key.get_secret_value()}"}
        elif self.username and self.password is not None:
            options["auth"] = (self.username, self.password.get_secret_value())
        if self.ca_certs is not None:
            options["verify"] = ssl.create_default_context(cafile=str(self.ca_certs))
        elif self.url.startswith("https://"):
            # httpx's default is certifi's bundle; unset means the system's trust store.
            options["verify"] = ssl.create_default_context()
        return options


class StackSettings(BaseSettings):
    """The local Kafka + Elasticsearch stack (env prefix ``NEWSWIRE_STACK_``).

    A port of 0 means "pick a free one on first start, then keep it". ``security`` (``on`` /
    ``off``, or ``stack up --secure``) starts the stack secured: Elasticsearch with TLS on HTTP
    and a user, Kafka with SASL_SSL and SCRAM-SHA-512. It is chosen when the stack is created
    (off when unset); later starts keep it, and asking for the other one is an error.
    """

    model_config = SettingsConfigDict(
        env_prefix="NEWSWIRE_STACK_", extra="ignore", populate_by_name=True, frozen=True
    )

    home: Path = Field(default_factory=default_stack_home)
    cache_dir: Path = Field(default_factory=default_cache_dir)
    kafka_version: str = "4.4.0"
    elasticsearch_version: str = "8.19.21"
    kafka_port: int = Field(default=0, ge=0, le=65535)
    kafka_controller_port: int = Field(default=0, ge=0, le=65535)
    elasticsearch_port: int = Field(default=0, ge=0, le=65535)
    elasticsearch_transport_port: int = Field(default=0, ge=0, le=65535)
    elasticsearch_heap_mb: int = Field(default=512, ge=256, le=1024)
    kafka_heap_mb: int = Field(default=512, ge=128, le=4096)
    elasticsearch_user: str = "newswire-es"
    start_timeout_seconds: float = Field(default=180.0, gt=0)
    security: bool | None = None

    @field_validator("security", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    offline: bool = False
    maven_command: str = "mvn"
    jvm_search_dirs: tuple[Path, ...] = (Path("/usr/lib/jvm"), Path("/usr/java"), Path("/opt/java"))
    kafka_java_home: Path | None = None
    es_java_home: Path | None = Field(default=None, validation_alias="ES_JAVA_HOME")
    java_home: Path | None = Field(default=None, validation_alias="JAVA_HOME")

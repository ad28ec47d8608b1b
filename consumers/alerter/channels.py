"""Delivery channels: a registry from channel type to notifier class and its options model.

A notifier sends one message (a notification or a digest) and raises :class:`DeliveryError`
when it did not go through; every network call is bounded by the channel's timeout.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import time
from abc import ABC, abstractmethod
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, ClassVar, Generic, TypeVar

import apprise
import httpx
from pydantic import SecretStr

from consumers.alerter.errors import ChannelConfigError, DeliveryError
from consumers.alerter.render import (
    Message,
    apprise_content,
    email_content,
    is_test,
    slack_payload,
    webhook_body,
)
from consumers.alerter.settings import AlerterSettings, read_secret_env
from consumers.alerter.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    sign,
    standard_webhooks_headers,
    standard_webhooks_key,
)
from schemas.base import Contract
from schemas.subscriptions import (
    AppriseChannel,
    EmailChannel,
    SignatureScheme,
    SlackChannel,
    WebhookChannel,
)

log = logging.getLogger(__name__)

TEST_HEADER = "X-Newswire-Test"

ChannelOptions = WebhookChannel | SlackChannel | EmailChannel | AppriseChannel
OptionsT = TypeVar("OptionsT", bound=ChannelOptions)


class PermanentDeliveryError(DeliveryError):
    """The receiver refused the message for good (e.g. HTTP 400): retrying cannot help."""


class Notifier(ABC, Generic[OptionsT]):
    """Sends messages through one configured channel."""

    options_model: ClassVar[type[Contract]]

    def __init__(self, options: OptionsT, settings: AlerterSettings) -> None:
        self.options = options
        self.settings = settings

    @property
    @abstractmethod
    def destination(self) -> str:
        """Where messages go; channels with the same destination share a queue and rate limit."""

    @property
    def max_per_second(self) -> float:
        """The channel's rate limit."""
        return self.options.max_per_second

    #: Messages this channel may have in flight at once (within its rate limit). One unless
    #: the notifier is safe to call from several threads and its receivers take parallel
    #: requests.
    max_in_flight: ClassVar[int] = 1

    @abstractmethod
    def send(self, message: Message, idempotency_key: str) -> None:
        """Send one message, or raise :class:`DeliveryError`."""

    def describe(self) -> str:
        """What this channel is, for people (no secret in it)."""
        return self.destination

    def close(self) -> None:
        """Release connections."""


class _HttpNotifier(Notifier[OptionsT]):
    """A notifier that posts over HTTP with one client, opened on first use.

    The client is shared by the destination's sender threads (httpx clients are thread-safe):
    one keep-alive connection per message in flight.
    """

    max_in_flight: ClassVar[int] = 4

    def __init__(self, options: OptionsT, settings: AlerterSettings) -> None:
        super().__init__(options, settings)
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    def _http(self) -> httpx.Client:
        client = self._client
        if client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = httpx.Client(
                        timeout=self.options.timeout_seconds,
                        limits=httpx.Limits(
                            max_connections=self.max_in_flight,
                            max_keepalive_connections=self.max_in_flight,
                        ),
                    )
                client = self._client
        return client

    def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            self._client.close()
            self._client = None


def _check_http_status(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    message = f"{what} answered HTTP {status}: {response.text[:200]}"
    if 400 <= status < 500 and status not in (408, 409, 425, 429):
        raise PermanentDeliveryError(message)
    raise DeliveryError(message)


class WebhookNotifier(_HttpNotifier[WebhookChannel]):
    """A generic JSON webhook with an idempotency key and an HMAC-SHA256 signature."""

    options_model = WebhookChannel

    def __init__(self, options: WebhookChannel, settings: AlerterSettings) -> None:
        super().__init__(options, settings)
        secret: SecretStr | None = None
        if options.secret_env:
            secret = read_secret_env(options.secret_env)
            if secret is None:
                raise ChannelConfigError(
                    f"webhook {options.url}: environment variable {options.secret_env} is not set"
                )
        self._secret = secret if secret is not None else settings.webhook_secret
        self._standard_key: bytes | None = None
        if options.signature is SignatureScheme.STANDARD_WEBHOOKS:
            if secret is None:
                raise ChannelConfigError(
                    f"webhook {options.url}: signature standard-webhooks needs secret_env"
                )
            try:
                self._standard_key = standard_webhooks_key(secret.get_secret_value())
            except ValueError as exc:
                raise ChannelConfigError(
                    f"webhook {options.url}: {options.secret_env}: {exc}"
                ) from exc
        elif self._secret is None:
            log.warning("webhook %s has no secret: its notifications are not signed", options.url)

    def describe(self) -> str:
        """The URL and the signature scheme."""
        if self._standard_key is not None:
            scheme = "standard-webhooks signature"
        elif self._secret is not None:
            scheme = f"{SIGNATURE_HEADER} signature"
        else:
            scheme = "unsigned"
        return f"webhook {self.options.url} ({scheme})"

    @property
    def destination(self) -> str:
        """Where this channel delivers."""
        return f"webhook:{self.options.url}"

    def send(self, message: Message, idempotency_key: str) -> None:
        """Send one message, or raise :class:`DeliveryError`."""
        body = webhook_body(message)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "newswire-alerter/1",
            IDEMPOTENCY_HEADER: idempotency_key,
        }
        if is_test(message):
            headers[TEST_HEADER] = "1"
        # Signed now, at each attempt: verifiers refuse timestamps older than a few minutes.
        now = int(time.time())
        if self._standard_key is not None:
            headers.update(
                standard_webhooks_headers(self._standard_key, idempotency_key, body, now)
            )
        elif self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret.get_secret_value(), body, now)
        try:
            response = self._http().post(self.options.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {self.options.url}: {type(exc).__name__}: {exc}") from exc
        _check_http_status(response, f"webhook {self.options.url}")


class SlackNotifier(_HttpNotifier[SlackChannel]):
    """A Slack incoming webhook (its URL is a secret read from the environment)."""

    options_model = SlackChannel

    def __init__(self, options: SlackChannel, settings: AlerterSettings) -> None:
        super().__init__(options, settings)
        url = read_secret_env(options.webhook_url_env)
        if url is None:
            raise ChannelConfigError(
                f"slack: environment variable {options.webhook_url_env} is not set"
            )
        self._url = url

    @property
    def destination(self) -> str:
        """Where this channel delivers."""
        return f"slack:{self.options.webhook_url_env}"

    def send(self, message: Message, idempotency_key: str) -> None:
        """Send one message, or raise :class:`DeliveryError`."""
        try:
            response = self._http().post(
                self._url.get_secret_value(),
                json=slack_payload(message),
                headers={IDEMPOTENCY_HEADER: idempotency_key},
            )
        except httpx.HTTPError as exc:
            # The URL is a secret: name the variable, not the URL.
            raise DeliveryError(
                f"slack ({self.options.webhook_url_env}): {type(exc).__name__}"
            ) from exc
        _check_http_status(response, f"slack ({self.options.webhook_url_env})")


class EmailNotifier(Notifier[EmailChannel]):
    """Email over SMTP: plain text and HTML alternatives, STARTTLS when configured."""

    options_model = EmailChannel

    def __init__(self, options: EmailChannel, settings: AlerterSettings) -> None:
        super().__init__(options, settings)
        self._username = read_secret_env(options.username_env) if options.username_env else None
        self._password = read_secret_env(options.password_env) if options.password_env else None
        for env_name, value in (
            (options.username_env, self._username),
            (options.password_env, self._password),
        ):
            if env_name and value is None:
                raise ChannelConfigError(f"email: environment variable {env_name} is not set")

    @property
    def destination(self) -> str:
        """Where this channel delivers."""
        return (
            f"email:{self.options.smtp_host}:{self.options.smtp_port}:{','.join(self.options.to)}"
        )

    def build_message(self, message: Message, idempotency_key: str) -> EmailMessage:
        """The MIME message (text and HTML) for ``message``."""
        subject, text, html_body = email_content(message)
        mail = EmailMessage()
        mail["Subject"] = subject
        mail["From"] = self.options.sender
        mail["To"] = ", ".join(self.options.to)
        mail["Date"] = formatdate(localtime=False)
        # A Message-ID derived from the idempotency key lets mail systems drop a repeat.
        mail["Message-ID"] = f"<{idempotency_key}@newswire>"
        mail["X-Newswire-Idempotency-Key"] = idempotency_key
        mail.set_content(text)
        mail.add_alternative(html_body, subtype="html")
        return mail

    def send(self, message: Message, idempotency_key: str) -> None:
        """Send one message, or raise :class:`DeliveryError`."""
        mail = self.build_message(message, idempotency_key)
        where = f"smtp {self.options.smtp_host}:{self.options.smtp_port}"
        try:
            with smtplib.SMTP(
                self.options.smtp_host, self.options.smtp_port, timeout=self.options.timeout_seconds
            ) as smtp:
                if self.options.starttls:
                    ca_file = self.settings.smtp_ca_file
                    context = ssl.create_default_context(
                        cafile=str(ca_file) if ca_file is not None else None
                    )
                    smtp.starttls(context=context)
                if self._username is not None and self._password is not None:
                    smtp.login(self._username.get_secret_value(), self._password.get_secret_value())
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(f"{where}: recipients refused: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"{where}: {type(exc).__name__}: {exc}") from exc


def _with_timeouts(url: str, seconds: float) -> str:
    """The Apprise URL with its connect/read timeouts set, unless the URL sets them."""
    query = url.partition("?")[2]
    names = {part.partition("=")[0] for part in query.split("&") if part}
    extra = [f"{name}={seconds:g}" for name in ("cto", "rto") if name not in names]
    if not extra:
        return url
    return url + ("&" if "?" in url else "?") + "&".join(extra)


class AppriseNotifier(Notifier[AppriseChannel]):
    """Any service Apprise speaks; its URL (with credentials) is a secret from the environment.

    Apprise reports a failed delivery as ``False``: that is a :class:`DeliveryError`, retried
    like any other channel's.
    """

    options_model = AppriseChannel

    def __init__(self, options: AppriseChannel, settings: AlerterSettings) -> None:
        super().__init__(options, settings)
        url = read_secret_env(options.url_env)
        if url is None:
            raise ChannelConfigError(f"apprise: environment variable {options.url_env} is not set")
        self._apprise = apprise.Apprise()
        if not self._apprise.add(_with_timeouts(url.get_secret_value(), options.timeout_seconds)):
            # The URL is a secret: name the variable, not the URL.
            raise ChannelConfigError(
                f"apprise: {options.url_env} holds no URL that Apprise supports"
            )

    @property
    def destination(self) -> str:
        """Where this channel delivers."""
        return f"apprise:{self.options.url_env}"

    def describe(self) -> str:
        """The variable holding the service URL (the URL itself is a secret)."""
        return f"apprise ({self.options.url_env})"

    def send(self, message: Message, idempotency_key: str) -> None:
        """Send one message, or raise :class:`DeliveryError`."""
        title, body = apprise_content(message)
        try:
            delivered = self._apprise.notify(body=body, title=title)
        except Exception as exc:  # Apprise's plugins may raise anything: it is a failed attempt.
            raise DeliveryError(f"apprise ({self.options.url_env}): {type(exc).__name__}") from exc
        if not delivered:
            raise DeliveryError(f"apprise ({self.options.url_env}): the service refused or failed")

    def close(self) -> None:
        """Forget the configured service."""
        self._apprise.clear()


CHANNELS: dict[str, type[Notifier[Any]]] = {
    "webhook": WebhookNotifier,
    "slack": SlackNotifier,
    "email": EmailNotifier,
    "apprise": AppriseNotifier,
}


def build_notifier(options: ChannelOptions, settings: AlerterSettings) -> Notifier[Any]:
    """The notifier of a channel, looked up in the :data:`CHANNELS` registry by type."""
    notifier_class = CHANNELS.get(options.type)
    if notifier_class is None or not isinstance(options, notifier_class.options_model):
        raise ChannelConfigError(f"unknown channel type {options.type!r}")
    return notifier_class(options, settings)

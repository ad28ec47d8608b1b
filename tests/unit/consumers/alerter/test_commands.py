"""The command-line functions, on small Typer apps built here (the lead wires the real CLI)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer
from newswire_testing.webhook import WebhookReceiver
from typer.testing import CliRunner

from consumers.alerter.commands import subscriptions_app
from consumers.alerter.service import SubscriptionsOption, UntilIdleOption, main
from consumers.alerter.signing import verify_signature
from consumers.alerter.subscriptions import load_catalogue
from consumers.runtime.logs import SERVICE_LOGGERS

runner = CliRunner()


def test_add_list_remove_edit_the_given_file(tmp_path: Path) -> None:
    path = tmp_path / "subs.yaml"
    added = runner.invoke(
        subscriptions_app,
        [
            "add",
            "macron-putin",
            "--file",
            str(path),
            "-t",
            "LEADER_CONTACT",
            "--actor-all",
            "Emmanuel Macron",
            "--actor-all",
            "Vladimir Putin",
            "--webhook",
            "http://127.0.0.1:8085/hook",
            "--secret-env",
            "NEWSWIRE_WEBHOOK_SECRET",
        ],
    )
    assert added.exit_code == 0, added.output
    (sub,) = load_catalogue(path).subscriptions
    assert sub.actors_all == ("Emmanuel Macron", "Vladimir Putin")
    assert sub.channels[0].type == "webhook"

    listed = runner.invoke(
        subscriptions_app,
        ["list", "--file", str(path), "--json"],
        env={"NEWSWIRE_WEBHOOK_SECRET": ""},
    )
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output)
    assert row["id"] == "macron-putin"
    assert row["channels"] == ["webhook#0"]
    assert row["missing_secrets"] == ["NEWSWIRE_WEBHOOK_SECRET"]

    removed = runner.invoke(subscriptions_app, ["remove", "macron-putin", "--file", str(path)])
    assert removed.exit_code == 0, removed.output
    assert load_catalogue(path).subscriptions == ()


def test_add_refuses_an_invalid_subscription_without_touching_the_file(tmp_path: Path) -> None:
    path = tmp_path / "subs.yaml"
    path.write_text("subscriptions: []\n")
    result = runner.invoke(
        subscriptions_app,
        ["add", "bad", "--file", str(path), "-t", "NOT_A_TYPE", "--webhook", "ftp://x"],
    )
    assert result.exit_code == 1
    assert "subscription 'bad' is not valid" in result.output
    assert "event_types" in result.output and "channels.0.webhook.url" in result.output
    assert path.read_text() == "subscriptions: []\n"


def test_test_command_sends_a_signed_sample_through_each_channel(
    tmp_path: Path, webhook: WebhookReceiver, monkeypatch
) -> None:
    url = webhook.url + "/hook"
    monkeypatch.setenv("NEWSWIRE_TEST_CLI_SECRET", "cli-secret")
    path = tmp_path / "subs.yaml"
    path.write_text(
        "subscriptions:\n  - id: macron-putin\n    event_types: [LEADER_CONTACT]\n"
        "    actors_all: [Emmanuel Macron, Vladimir Putin]\n"
        f"    channels:\n      - {{type: webhook, url: '{url}', secret_env: NEWSWIRE_TEST_CLI_SECRET}}\n"
        "      - {type: email, to: [desk@example.org], smtp_port: 1, timeout_seconds: 1}\n"
    )
    result = runner.invoke(subscriptions_app, ["test", "macron-putin", "--file", str(path)])
    assert result.exit_code == 1  # nothing listens on SMTP port 1
    assert "webhook#0: sent" in result.output
    assert "email#1: FAILED: smtp 127.0.0.1:1" in result.output
    (request,) = webhook.requests
    assert verify_signature("cli-secret", request.headers["X-Newswire-Signature"], request.body)
    payload = request.json()
    assert payload["subscription_id"] == "macron-putin"
    assert [a["name"] for a in payload["event"]["actors"]] == ["Emmanuel Macron", "Vladimir Putin"]


def test_consume_alerter_exits_1_naming_the_subscription_when_a_secret_is_missing(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.delenv("NEWSWIRE_TEST_MISSING_SECRET", raising=False)
    path = tmp_path / "subs.yaml"
    path.write_text(
        "subscriptions:\n  - id: leaks\n    event_types: [CONFIDENTIAL_LEAK]\n"
        "    channels: [{type: webhook, url: 'http://127.0.0.1:1/', secret_env: NEWSWIRE_TEST_MISSING_SECRET}]\n"
    )
    app = typer.Typer()

    @app.command()
    def consume(
        subscriptions: SubscriptionsOption = None, until_idle: UntilIdleOption = None
    ) -> None:
        raise typer.Exit(main(subscriptions, until_idle))

    # main() configures JSON logging on the service loggers; put them back for other tests.
    loggers = [logging.getLogger(name) for name in SERVICE_LOGGERS]
    saved = [(list(lg.handlers), lg.propagate, lg.level) for lg in loggers]
    try:
        result = runner.invoke(app, ["--subscriptions", str(path), "--until-idle", "1"])
    finally:
        for logger, (handlers, propagate, level) in zip(loggers, saved, strict=True):
            logger.handlers[:] = handlers
            logger.propagate, logger.level = propagate, level
    assert result.exit_code == 1
    (line,) = [json.loads(x) for x in result.stderr.splitlines() if '"fatal"' in x]
    assert "'leaks'" in line["error"]
    assert "NEWSWIRE_TEST_MISSING_SECRET is not set" in line["error"]

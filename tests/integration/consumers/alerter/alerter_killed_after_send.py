"""The alerter's entry point with a fault of the tests' own: SIGKILL right after a webhook send.

The product ships no fault hook; this wrapper registers, through the channel registry, a webhook
notifier that kills its process the hardest way once a message is sent and before the dispatcher
records it. Run as ``python alerter_killed_after_send.py --subscriptions F --until-idle N``.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import typer

from consumers.alerter import channels
from consumers.alerter.render import Message
from consumers.alerter.service import main


class _KilledAfterSend(channels.WebhookNotifier):
    def send(self, message: Message, idempotency_key: str) -> None:
        super().send(message, idempotency_key)
        os.kill(os.getpid(), signal.SIGKILL)


channels.CHANNELS["webhook"] = _KilledAfterSend


def _command(
    subscriptions: str = typer.Option(..., "--subscriptions"),
    until_idle: float = typer.Option(..., "--until-idle"),
) -> None:
    raise typer.Exit(main(Path(subscriptions), until_idle))


if __name__ == "__main__":
    typer.run(_command)

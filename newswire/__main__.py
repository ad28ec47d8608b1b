"""``python -m newswire``: the same as the ``newswire`` command."""

from newswire.cli import app

app()

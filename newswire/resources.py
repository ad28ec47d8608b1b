"""Files the code reads at run time, found through the installed package (editable or wheel).

Nothing reads paths relative to the checkout: the Maven pom, Kafka's log4j2 config and the Kibana
saved objects live in ``newswire/stack/resources/``, the source catalogues in
``newswire/ingest/catalogues/``, the default subscriptions in ``consumers/alerter/``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from newswire.errors import NewswireError


class ResourceError(NewswireError):
    """A packaged resource is missing or not on the file system."""


def resource_path(package: str, *parts: str) -> Path:
    """The file system path of a file shipped in ``package`` (e.g. ``newswire.stack``).

    Maven and the JVMs need real paths, so a package that is not unpacked on disk (a zip import)
    is an error rather than a temporary copy.
    """
    traversable = files(package).joinpath(*parts)
    path = Path(str(traversable))
    if not path.exists():
        raise ResourceError(f"{'/'.join(parts)} is missing from the installed {package} package")
    return path

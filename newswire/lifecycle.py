"""The one shape of an adapter with a lifetime: :meth:`open`, :meth:`close`, and ``with``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class Resource(ABC):
    """Something opened before use and closed after; ``with resource:`` does both."""

    @abstractmethod
    def open(self) -> object:
        """Acquire connections or files (a no-op when already open)."""

    @abstractmethod
    def close(self) -> None:
        """Release what :meth:`open` acquired (safe when not open)."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

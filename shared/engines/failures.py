"""The classified, final failure of the SQL under check, shared by the engines' modules."""

from __future__ import annotations

from proto.sample import ErrorClass


class CheckFailed(Exception):
    """A classified, final failure of the SQL under check (raised inside implementations)."""

    def __init__(
        self, error_class: ErrorClass, message: str, *, missing: bool = False, killed: bool = False
    ) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.message = message
        # The error names an object that does not exist: maybe the fixture vanished.
        self.missing = missing
        # Stopped from outside at the hard deadline: the server may still be running it.
        self.killed = killed

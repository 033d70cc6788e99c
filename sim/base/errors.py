"""The one exception type for bad user input.

Anything a researcher can fix by editing a file or a command line (a scenario
field, a county name, a parameter value, a results folder) raises
:class:`InputError` with a single line that names the file, the field and what
is allowed. The command line prints that line and exits with code 2; Python
callers can catch it like any other exception.
"""

from __future__ import annotations


class InputError(ValueError):
    """A problem with user input, described in one actionable line.

    Attributes:
        message: the line without the file label (what to show where the file
            is already known, or is not one).
        source: the file (or other input) it is about, if any.
    """

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.message = message
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class FieldError(ValueError):
    """Raised inside a validator to blame a named field of the model being validated.

    The scenario loader reports it as ``<path to the model>.<field>: <message>``.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

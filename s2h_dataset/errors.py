"""The error type for mistakes a user can fix; the CLI prints its message as one line and exits 2."""

__all__ = ["UserError"]


class UserError(ValueError):
    """Bad input, arguments or data; the message names what is wrong and how to fix it."""

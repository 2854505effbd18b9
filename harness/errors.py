"""Errors that reach the user as one line and exit status 2."""


class UserError(Exception):
    """A mistake in the user's input (file, field, value); shown as one line, exit status 2, no traceback."""

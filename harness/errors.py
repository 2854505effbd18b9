"""Errors that reach the user as one line and exit status 2."""


class UserError(Exception):
    """A mistake in the user's input (file, field, value); shown as one line, exit status 2, no traceback."""


EXIT_USER_ERROR = 2
"""A user's mistake: one line naming the file, field and value; nothing written."""
EXIT_PARTIAL = 3
"""``sorbench run``: the run folder was written, but some (router, seed) simulation, the analytics or the report
failed; the manifest says ``"partial": true`` and lists the ``failures``, and the console prints one line each."""

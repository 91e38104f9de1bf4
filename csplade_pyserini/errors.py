"""The one exception type whose message is shown to users as a single line."""


class CspladeError(Exception):
    """A user-facing problem (bad input, missing file, wrong setting): printed as one line, exit code 2."""

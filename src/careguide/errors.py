"""The one base type for errors a user can cause and fix."""

from __future__ import annotations


class UserError(Exception):
    """A problem the user can fix (a wrong setting, a missing file, an unreachable server).

    Its message is one sentence naming the problem and the fix; the console prints it and exits
    with status 2, never a traceback. Each part's own error type subclasses it."""

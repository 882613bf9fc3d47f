"""``python -m careguide.cli``: the same command line as the ``careguide`` script."""

from careguide.cli import app

app()

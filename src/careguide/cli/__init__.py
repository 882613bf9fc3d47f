"""The ``careguide`` command line (Typer): ``app`` is the console script's entry point."""

from careguide.cli.main import app

__all__ = ["app"]

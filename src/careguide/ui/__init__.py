"""Web app on FastAPI: the knowledge-base search page and REST API (chat and workspace to come)."""

from careguide.ui.app import create_app

__all__ = ["create_app"]

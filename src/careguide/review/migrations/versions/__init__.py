"""Alembic revision files (alembic skips this ``__init__``; it makes the folder a package)."""

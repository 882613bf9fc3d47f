"""Alembic migrations of the review database, run by ``careguide.review.open_review_store``."""

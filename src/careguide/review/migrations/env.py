"""Alembic environment of the review database.

``open_review_store`` runs the migrations programmatically and passes its own open connection in
``config.attributes["connection"]`` (so SQLite pragmas and the write lock apply). Run by hand, with
``alembic -x`` or a config naming ``sqlalchemy.url``, it opens its own engine the same way.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from careguide.review.database import create_review_engine
from careguide.review.models import Base


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    given = context.config.attributes.get("connection")
    if isinstance(given, Connection):
        run(given)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("Set sqlalchemy.url to the review database URL to run these migrations.")
    engine = create_review_engine(url)
    try:
        with engine.begin() as connection:
            run(connection)
    finally:
        engine.dispose()


main()

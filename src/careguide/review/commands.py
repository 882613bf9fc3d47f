"""`careguide users ...`: the clinician workspace's accounts (add, list)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from careguide.console import fail, out, settings, user_errors
from careguide.review.database import database_url
from careguide.review.store import ReviewStore, open_review_store
from careguide.review.types import ReviewError

users_app = typer.Typer(help="Clinician workspace accounts (review database).", no_args_is_help=True)


class RoleChoice(StrEnum):
    clinician = "clinician"
    admin = "admin"


def _open() -> ReviewStore:
    return open_review_store(database_url(settings()))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users_app.command("add")
def add_user(
    username: Annotated[str, typer.Argument(help="The login name.")],
    role: Annotated[RoleChoice, typer.Option(help="clinician (review) or admin (also manages users).")] = (
        RoleChoice.clinician
    ),
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
) -> None:
    """Add a user; the password is asked twice (hidden) unless given on stdin."""
    with user_errors():
        try:
            password = _password(password_stdin)
            with _open() as store:
                user = store.add_user(username, password, role.value)
        except ReviewError as exc:
            raise fail(str(exc)) from None
    out.print(f"Added {user.role} '{user.username}'.", highlight=False)


@users_app.command("list")
def list_users() -> None:
    """Every user with role and creation date."""
    with user_errors():
        try:
            with _open() as store:
                users = store.list_users()
        except ReviewError as exc:
            raise fail(str(exc)) from None
    if not users:
        out.print("No users yet. Add one with `careguide users add NAME --role admin`.")
        return
    for user in users:  # tab-separated, for scripts
        print(f"{user.username}\t{user.role}\t{user.created_at:%Y-%m-%d %H:%M} UTC")

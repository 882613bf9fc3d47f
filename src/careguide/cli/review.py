"""`careguide users ...`: the clinician workspace's accounts (add, list, disable, enable, remove,
revoke-sessions)."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from careguide.cli.console import fail, out, settings, user_errors
from careguide.review import ReviewError, ReviewStore, database_url, open_review_store

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
        state = "active" if user.active else "disabled"
        print(f"{user.username}\t{user.role}\t{user.created_at:%Y-%m-%d %H:%M} UTC\t{state}")


def _account_change(username: str, change: str) -> str:
    """Apply one account change; returns the sentence that reports it."""
    with user_errors():
        try:
            with _open() as store:
                if change == "disable":
                    store.set_active(username, False)
                    return f"Disabled '{username}'; their sessions have ended and they cannot sign in."
                if change == "enable":
                    store.set_active(username, True)
                    return f"Enabled '{username}'; they can sign in again."
                if change == "remove":
                    store.remove_user(username)
                    return f"Removed '{username}'; what they wrote keeps their name."
                ended = store.revoke_sessions(username)
                return f"Ended {ended} session{'s' if ended != 1 else ''} of '{username}'."
        except ReviewError as exc:
            raise fail(str(exc)) from None


_NAME = Annotated[str, typer.Argument(help="The login name.")]


@users_app.command("disable")
def disable_user(username: _NAME) -> None:
    """Stop an account from signing in and end its sessions at once (in every process)."""
    out.print(_account_change(username, "disable"), highlight=False)


@users_app.command("enable")
def enable_user(username: _NAME) -> None:
    """Let a disabled account sign in again."""
    out.print(_account_change(username, "enable"), highlight=False)


@users_app.command("remove")
def remove_user(username: _NAME) -> None:
    """Delete an account and its sessions."""
    out.print(_account_change(username, "remove"), highlight=False)


@users_app.command("revoke-sessions")
def revoke_sessions(username: _NAME) -> None:
    """Sign an account out everywhere (it may sign in again)."""
    out.print(_account_change(username, "revoke"), highlight=False)

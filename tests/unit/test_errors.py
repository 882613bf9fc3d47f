"""Every part's user-fixable error is one type, and the console turns it into one line and status 2."""

from pathlib import Path

import pytest
import typer

from careguide.cli.console import user_errors
from careguide.config import ConfigError
from careguide.errors import UserError
from careguide.eval.reports import ResultsError
from careguide.ingest.embedding import EmbeddingError
from careguide.ingest.errors import LoadError, StoreError
from careguide.models.assembly import ModelError
from careguide.rag.llm import LLMError
from careguide.rag.retrieval import FilterError
from careguide.review.types import ReviewError
from careguide.ui.startup import StartupError
from careguide.ui.workspace.auth import SecretError

ERRORS = [
    ConfigError("Unknown setting 'retreival'; did you mean 'retrieval'?"),
    ResultsError("results.json is damaged; run the evaluation again."),
    EmbeddingError("The embedding model is missing; run `careguide models pull`."),
    LoadError(Path("broken.pdf"), "it is not a readable PDF"),
    StoreError("The index folder is not writable; fix its permissions."),
    ModelError("The model file is damaged; run `careguide models pull`."),
    LLMError("The language model is not available; start it with `careguide serve-llm`."),
    FilterError("Unknown filter field 'colour'; use one of source, title."),
    ReviewError("No such material; list them with `careguide review list`."),
    SecretError("The session secret is too short; set a longer CAREGUIDE_SESSION_SECRET."),
    StartupError("The index folder is read-only; make it writable."),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_each_part_error_is_a_user_error_shown_as_one_line(error, capsys):
    assert isinstance(error, UserError)
    with pytest.raises(typer.Exit) as exit_info, user_errors():
        raise error
    assert exit_info.value.exit_code == 2
    shown = capsys.readouterr().err
    assert str(error) in " ".join(shown.split()) and "Traceback" not in shown


def test_a_programming_error_is_not_swallowed():
    with pytest.raises(KeyError), user_errors():
        raise KeyError("bug")

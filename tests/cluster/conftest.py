"""The loopback cluster, started once for tests/cluster and stopped after (`make test-cluster`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from careguide.config import LLMSettings
from careguide.models.backends import resolve_model_file
from tests.cluster.harness import Cluster

ENABLE = "CAREGUIDE_TEST_CLUSTER"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.cluster)
            if not os.environ.get(ENABLE):
                item.add_marker(
                    pytest.mark.skip(reason="needs the loopback cluster: run `make test-cluster`")
                )


@pytest.fixture(scope="session")
def cluster_dir() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="careguide-cluster-"))
    base.chmod(0o755)  # PostgreSQL runs as its own user and must reach its data folder
    yield base
    if not os.environ.get("CAREGUIDE_TEST_KEEP_CLUSTER"):
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def cluster(cluster_dir: Path) -> Iterator[Cluster]:
    model = resolve_model_file(
        LLMSettings(model=os.environ.get("CAREGUIDE_TEST_CLUSTER_MODEL", "qwen2.5-coder-0.5b-instruct"))
    )
    running = Cluster(cluster_dir, model)
    try:
        yield running
    finally:
        running.close()

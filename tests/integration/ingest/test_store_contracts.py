"""The vector-store contract (tests/contracts/store.py) on embedded Chroma and on a Chroma server."""

from __future__ import annotations

import hashlib

import pytest

from careguide.config import VectorStoreSettings, load_settings
from tests.contracts.store import VectorStoreContract

pytestmark = pytest.mark.integration


def collection_for(request: pytest.FixtureRequest) -> str:
    return "contract-" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]


class ChromaStoreContract(VectorStoreContract):
    pass


class TestEmbeddedChroma(ChromaStoreContract):
    def store_settings(self, request, tmp_path):
        return load_settings().model_copy(
            update={
                "index_dir": tmp_path / "index",
                "vector_store": VectorStoreSettings(collection=collection_for(request)),
            }
        )


class TestChromaServer(ChromaStoreContract):
    def store_settings(self, request, tmp_path):
        url = request.getfixturevalue("chroma_server")
        return load_settings().model_copy(
            update={
                "index_dir": tmp_path / "index",
                "vector_store": VectorStoreSettings(url=url, collection=collection_for(request)),
            }
        )

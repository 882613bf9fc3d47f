"""Ingest: loaders, chunking, embeddings and idempotent indexing into Chroma (+ BM25)."""

from careguide.ingest.background import BackgroundIndexer, ordered_subsets
from careguide.ingest.chunking import Chunker, split_sentences
from careguide.ingest.distributed import RayIndexer, RayUnavailableError
from careguide.ingest.documents import Chunk, Document, Section
from careguide.ingest.embedding import (
    Embedder,
    EmbeddingError,
    Vectors,
    classifier_embedder,
    describe_backend,
    load_embedder,
    runs_on_onnx,
)
from careguide.ingest.errors import LoadError, StoreError
from careguide.ingest.knowledge_base import KnowledgeBase, KnowledgeBaseTerms
from careguide.ingest.lexical import LexicalHit, LexicalIndex, metadata_matches
from careguide.ingest.loaders import SourceInfo
from careguide.ingest.medquad import MEDQUAD_CITATION, MEDQUAD_LICENSE, MedQuadPair, read_pairs
from careguide.ingest.pipeline import (
    Indexer,
    IngestObserver,
    IngestReport,
    LocalIndexer,
    SilentObserver,
    ingest,
    ingest_with,
)
from careguide.ingest.progress import indexing_notice, read_progress
from careguide.ingest.store import ChromaStore, StoredChunk, chroma_client, lexical_dir_for

__all__ = [
    "MEDQUAD_CITATION",
    "MEDQUAD_LICENSE",
    "BackgroundIndexer",
    "ChromaStore",
    "Chunk",
    "Chunker",
    "Document",
    "Embedder",
    "EmbeddingError",
    "Indexer",
    "IngestObserver",
    "IngestReport",
    "KnowledgeBase",
    "KnowledgeBaseTerms",
    "LexicalHit",
    "LexicalIndex",
    "LoadError",
    "LocalIndexer",
    "MedQuadPair",
    "RayIndexer",
    "RayUnavailableError",
    "Section",
    "SilentObserver",
    "SourceInfo",
    "StoreError",
    "StoredChunk",
    "Vectors",
    "chroma_client",
    "classifier_embedder",
    "describe_backend",
    "indexing_notice",
    "ingest",
    "ingest_with",
    "lexical_dir_for",
    "load_embedder",
    "metadata_matches",
    "ordered_subsets",
    "read_pairs",
    "read_progress",
    "runs_on_onnx",
    "split_sentences",
]

"""Typed settings: a YAML profile (configs/default.yaml) with CAREGUIDE_* environment overrides.

Nested keys are overridden with a double underscore, e.g. ``CAREGUIDE_VECTOR_STORE__URL``.
The profile is chosen with ``CAREGUIDE_CONFIG`` (a path) or the CLI's ``--config`` option.
An unknown or invalid key stops start-up with one sentence naming it (:class:`ConfigError`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from careguide.errors import UserError

ENV_PREFIX = "CAREGUIDE_"
CONFIG_ENV = "CAREGUIDE_CONFIG"
OTHER_ENV = ("CAREGUIDE_CACHE", "CAREGUIDE_SESSION_SECRET")
"""Environment variables that are not settings: the model/wheel cache folder, the session secret."""
TEST_ENV_PREFIX = "CAREGUIDE_TEST_"
"""Switches of the test suite (e.g. CAREGUIDE_TEST_VLLM), ignored by the settings check."""
DEFAULT_PROFILE = Path(__file__).resolve().parents[2] / "configs" / "default.yaml"

MEDQUAD_ANSWERED_SUBSETS = (
    "1_CancerGov_QA",
    "2_GARD_QA",
    "3_GHR_QA",
    "4_MPlus_Health_Topics_QA",
    "5_NIDDK_QA",
    "6_NINDS_QA",
    "7_SeniorHealth_QA",
    "8_NHLBI_QA_XML",
    "9_CDC_QA",
)


class ConfigError(UserError):
    """A setting is unknown or invalid; the message is one sentence naming it and the fix."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KnowledgeBaseSettings(_Section):
    medquad_subsets: tuple[str, ...] = MEDQUAD_ANSWERED_SUBSETS
    first_subsets: tuple[str, ...] = ("4_MPlus_Health_Topics_QA", "7_SeniorHealth_QA", "5_NIDDK_QA")
    """Indexed first (`careguide ingest --first`); the chat serves once they are in and
    `careguide serve --index-rest` adds the other subsets in the background."""
    audience: str = "patients"
    license: str = "CC BY 4.0"


class EmbeddingSettings(_Section):
    model_path: Path | None = None
    """A local sentence-transformers directory; empty means the packaged all-MiniLM-L6-v2."""
    backend: Literal["torch", "onnx-fp32", "onnx"] = "onnx"
    batch_size: int = Field(32, ge=1, le=1024)
    device: str = "cpu"


class ChunkingSettings(_Section):
    max_tokens: int = Field(200, ge=32, le=512)
    overlap_tokens: int = Field(40, ge=0, le=256)


class VectorStoreSettings(_Section):
    url: str | None = None
    """Chroma server URL (http://host:port); empty means the embedded PersistentClient."""
    collection: str = Field("careguide", min_length=3, max_length=63)


class RetrievalSettings(_Section):
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    k: int = Field(5, ge=1, le=100)
    candidates: int = Field(30, ge=1, le=500)
    """How many passages each retriever proposes before fusion."""
    rrf_k: int = Field(20, ge=1)
    dense_weight: float = Field(1.0, ge=0.0)
    bm25_weight: float = Field(0.5, ge=0.0)
    filter_strategy: Literal["exact", "overfetch", "chroma"] = "exact"
    filter_overfetch: int = Field(8, ge=1, le=100)
    """Dense search with a metadata filter first over-fetches this many times the candidates
    unfiltered (fast) and filters in memory; Chroma's slower filtered query is the fallback."""
    answers: bool = True
    """Hybrid search ranks whole answers (chunks joined by answer_id, the best chunk shown) with
    question understanding and a question-entailment signal (careguide.rag.answers)."""
    answer_pool: int = Field(50, ge=5, le=500)
    answer_rrf_k: int = Field(20, ge=1)
    answer_dense_weight: float = Field(0.5, ge=0.0)
    answer_bm25_weight: float = Field(0.25, ge=0.0)
    answer_entailment_weight: float = Field(1.0, ge=0.0)
    """Weighted RRF of the answer ranker's signals; chosen on the consumer set's tuning part
    (docs/evaluation.md)."""


class VllmSettings(_Section):
    """How `careguide serve-llm` starts vLLM (GPU in production); see configs/vllm.yaml."""

    model: str = ""
    """A model directory (converted from the GGUF, or any Hugging Face layout) or a hub id."""
    host: str = "127.0.0.1"
    port: int = Field(8001, ge=1, le=65535)
    tensor_parallel_size: int = Field(1, ge=1)
    max_model_len: int = Field(4096, ge=256)
    enable_prefix_caching: bool = True
    gpu_memory_utilization: float = Field(0.9, gt=0.0, le=1.0)
    dtype: str = "auto"
    extra_args: tuple[str, ...] = ()
    executable: str = "vllm"
    """The `vllm` command (e.g. a separate virtualenv's .venv-vllm/bin/vllm)."""
    guided_citations: bool = True
    """Ask vLLM's structured output to end every sentence with a [n] citation."""


class LLMSettings(_Section):
    """The language model behind the OpenAI chat-completions API."""

    backend: Literal["llamacpp", "vllm", "openai"] = "llamacpp"
    model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    """llamacpp: a packaged model name (`careguide models list`) or a local GGUF path."""
    sha256: str | None = None
    """Expected sha256 of a local GGUF path (packaged models carry their own)."""
    base_url: str | None = None
    """Attach to a server that is already running (…/v1); empty starts the embedded llama.cpp server.
    Required for the openai backend; for vllm it defaults to http://<vllm.host>:<vllm.port>/v1."""
    served_model: str = "local"
    """The model name sent in each request (vLLM's --served-model-name, an OpenAI model id)."""
    api_key_env: str = "OPENAI_API_KEY"
    """The environment variable holding the API key (openai backend); the key is never in a profile."""
    n_ctx: int = Field(4096, ge=512)
    n_threads: int = Field(2, ge=1)
    max_tokens: int = Field(200, ge=16, le=4096)
    request_timeout_s: float = Field(300, gt=0)
    start_timeout_s: float = Field(180, gt=0)
    cited_grammar: bool = True
    """llamacpp: a GBNF grammar makes every sentence end with a [n] citation (at most 4 sentences)."""
    vllm: VllmSettings = VllmSettings()


class AnswerSettings(_Section):
    """How the Assistant turns passages into an answer."""

    k: int = Field(4, ge=1, le=20)
    """Passages in the prompt."""
    passage_words: int = Field(120, ge=20, le=1000)
    """Each passage is trimmed to its first words: every prompt token costs time on a CPU."""
    min_similarity: float = Field(0.35, ge=0.0, le=1.0)
    """Below this cosine similarity of the closest passage the Assistant abstains."""
    min_support: float = Field(0.8, ge=0.0, le=1.0)
    """Share of a sentence's content words its cited passage must contain for the sentence to be
    shown (numbers, doses, names and negation must match as well)."""
    reading_level: Literal["simpler", "standard"] = "standard"
    """standard: US grade 6-8; simpler: grade 4-5, shorter sentences."""
    history_turns: int = Field(3, ge=0, le=20)
    """How many earlier patient messages a follow-up question may borrow its topic from."""
    mode: Literal["hybrid", "extractive", "model"] = "hybrid"
    """hybrid: the passage sentences that answer the question at once, replaced by the model's
    answer when every sentence of it is verified; extractive: no model; model: the model alone."""
    model_deadline_s: float | None = Field(None, gt=0)
    """In hybrid mode, stop waiting for the model after this many seconds and keep the extract."""


class ReviewSettings(_Section):
    database_url: str = "sqlite:///data/careguide.db"
    """The review database (SQLAlchemy URL); PostgreSQL at scale."""
    clinic_name: str = "Our clinic"
    """The organisation named on approved handouts when patients' answers cite them."""
    second_approval: bool = True
    """Publishing to patients needs the approval of a clinician other than the material's author."""
    jobs: Literal["memory", "database"] = "memory"
    """Where workspace drafting/publishing jobs live: this process (one app process), or the review
    database, so that several app processes share them and pick up those of a process that died."""
    audit: Literal["file", "database"] = "file"
    """Where the audit log goes: the local file of the guardrails policy, or the review database's
    append-only ``audit_events`` table (several app processes, one log)."""


class WebSettings(_Section):
    cors_origins: tuple[str, ...] = ()
    """Origins (e.g. https://portal.example.org) whose pages may call the API from a browser; empty:
    none, the browser's same-origin rule applies."""
    trusted_proxy_header: str = ""
    """The header a reverse proxy sets to the client's address (e.g. X-Forwarded-For); empty: the
    connecting address is the client's. Set it only behind a proxy that overwrites the header."""


class Settings(BaseSettings):
    """All of careguide's settings."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    data_dir: Path = Path("../shared/data")
    index_dir: Path = Path("data/index")
    reports_dir: Path = Path("reports")
    """Where `careguide eval` writes its reports (and where the workspace's Evaluation tab reads them)."""
    knowledge_base: KnowledgeBaseSettings = KnowledgeBaseSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    vector_store: VectorStoreSettings = VectorStoreSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    llm: LLMSettings = LLMSettings()
    answer: AnswerSettings = AnswerSettings()
    review: ReviewSettings = ReviewSettings()
    web: WebSettings = WebSettings()
    guardrails: Path | None = None
    """The guardrails policy file; empty means configs/guardrails.yaml beside the default profile."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML profile is passed as init kwargs by load_settings; env wins over it.
        return (env_settings, init_settings)

    @property
    def medquad_dir(self) -> Path:
        return self.data_dir / "medquad"


def _known_env_names(model: type[BaseModel], prefix: str) -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        full = f"{prefix}{name.upper()}"
        names.add(full)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= _known_env_names(annotation, full + "__")
    return names


def _check_env(environ: dict[str, str]) -> None:
    known = _known_env_names(Settings, ENV_PREFIX) | {CONFIG_ENV, *OTHER_ENV}
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in known and not name.startswith(TEST_ENV_PREFIX):
            raise ConfigError(
                f"Unknown setting in environment variable {name}; unset it or use one of the "
                f"documented CAREGUIDE_* names (see configs/default.yaml)."
            )


def describe_validation_error(error: dict[str, Any], source: str) -> str:
    """One sentence naming the setting that failed validation and what to do."""
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"Unknown setting '{key}' in {source}; remove it or fix its spelling."
    return (
        f"Invalid value for setting '{key}' in {source}: {error['msg']}; "
        f"fix it in the profile or the CAREGUIDE_ environment variable."
    )


def read_profile(path: Path) -> dict[str, Any]:
    """Read a YAML profile into a dict, with a clear error for a missing or malformed file."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Config profile {path} does not exist; pass an existing YAML file.") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"Config profile {path} is not valid YAML ({exc}); fix its syntax.") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"Config profile {path} must be a mapping of settings at the top level.")
    return loaded


def load_settings(profile: Path | None = None) -> Settings:
    """Load settings from a YAML profile plus CAREGUIDE_* environment overrides."""
    env = dict(os.environ)
    path = profile or (Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else DEFAULT_PROFILE)
    _check_env(env)
    values = read_profile(path)
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(describe_validation_error(dict(first), f"{path} or the environment")) from None

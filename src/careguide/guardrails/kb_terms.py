"""Medical terms from the knowledge base itself (MedQuAD focus terms and question titles), cached by
the BM25 corpus fingerprint so the PHI allow-list follows the knowledge base as it changes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from careguide.ingest import LexicalIndex

_CAPITALISED = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'-]+")


@dataclass(frozen=True)
class KnowledgeBaseTerms:
    """Topics (focus terms) and the capitalised words of titles, e.g. eponyms in questions."""

    topics: tuple[str, ...] = ()
    title_names: tuple[str, ...] = ()


def knowledge_base_terms(lexical_dir: Path) -> KnowledgeBaseTerms:
    """Terms of every indexed chunk, or none when there is no index yet."""
    state = LexicalIndex.read_state(lexical_dir)
    if state is None:
        return KnowledgeBaseTerms()
    cache = lexical_dir.with_name(f"{lexical_dir.name}.terms-{str(state['fingerprint'])[:16]}.json")
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        return KnowledgeBaseTerms(tuple(cached["topics"]), tuple(cached["title_names"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no cache yet, or an unreadable one: rebuild it
    index = LexicalIndex.load(lexical_dir)
    chunks = index.chunks if index else []
    topics = sorted({c.topic for c in chunks if c.topic})
    names = sorted({w for c in chunks for w in _CAPITALISED.findall(c.title)})
    for old in lexical_dir.parent.glob(f"{lexical_dir.name}.terms-*.json"):
        old.unlink(missing_ok=True)
    cache.write_text(json.dumps({"topics": topics, "title_names": names}), encoding="utf-8")
    return KnowledgeBaseTerms(tuple(topics), tuple(names))

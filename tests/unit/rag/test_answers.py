"""Answer units and the entailment signal, with a small bag-of-words embedder standing in for the
model (the integration test uses the real one)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from careguide.ingest import Chunk, LexicalIndex
from careguide.rag.answers import (
    AnswerRanker,
    AnswerWeights,
    QuestionIndex,
    build_units,
    entailment_probability,
    question_vectors,
)
from careguide.rag.understanding import normalise


class WordsEmbedder:
    name = "words"
    dimension = 64

    def __init__(self) -> None:
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in normalise(text).split():
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]


def chunk(answer_id: str, position: int, question: str, topic: str, qtype: str, text: str) -> Chunk:
    return Chunk(
        chunk_id=f"{answer_id}-{position}",
        doc_id=answer_id,
        source_key=answer_id,
        position=position,
        n_chunks=2,
        text=text,
        title=question,
        heading_path="",
        source="GHR",
        organisation="",
        url=f"https://example.org/{topic.lower().replace(' ', '-')}",
        license="CC BY 4.0",
        answer_id=answer_id,
        topic=topic,
        question_type=qtype,
    )


CHUNKS = [
    chunk(
        "A_1",
        0,
        "What is (are) Angelman syndrome ?",
        "Angelman syndrome",
        "information",
        "Angelman syndrome is a complex genetic disorder that affects the nervous system.",
    ),
    chunk(
        "A_1",
        1,
        "What is (are) Angelman syndrome ?",
        "Angelman syndrome",
        "information",
        "Characteristic features include delayed development and seizures.",
    ),
    chunk(
        "A_2",
        0,
        "Is Angelman syndrome inherited ?",
        "Angelman syndrome",
        "inheritance",
        "Most cases are not inherited; they result from a new deletion on chromosome 15.",
    ),
    chunk(
        "B_1",
        0,
        "What are the treatments for Pneumonia ?",
        "Pneumonia",
        "treatment",
        "Antibiotics treat bacterial pneumonia; rest and fluids help recovery.",
    ),
    chunk(
        "B_2",
        0,
        "What are the symptoms of Pneumonia ?",
        "Pneumonia",
        "symptoms",
        "Cough with phlegm, fever, chills and trouble breathing.",
    ),
]


def ranker(embedder: WordsEmbedder | None = None) -> AnswerRanker:
    embedder = embedder or WordsEmbedder()
    index = LexicalIndex.build(CHUNKS)
    return AnswerRanker(QuestionIndex(index.chunks, embedder), embedder, index, None, pool=10)


def test_units_join_the_chunks_of_one_answer_in_order():
    units, by_key = build_units(list(reversed(CHUNKS)))
    unit = units[by_key["A_1"]]
    assert len(units) == 4 and unit.question == "What is (are) Angelman syndrome ?"
    assert [list(reversed(CHUNKS))[i].position for i in unit.chunks] == [0, 1]


def test_each_answer_appears_once_with_its_best_chunk():
    found = ranker().rank(
        ["what are the seizures and development like in angelman syndrome"], AnswerWeights()
    )[0]
    ids = [c.answer_id for c, _ in found]
    assert len(ids) == len(set(ids))
    shown = dict((c.answer_id, c) for c, _ in found)
    assert shown["A_1"].position == 1  # the chunk that matches, not the answer's first one


def test_entailment_ranks_the_answer_to_the_question_asked():
    message = (
        "Angleman syndrome. Can a person with Angelman Syndrome have children? "
        "If so, can the disorder be passed on to offspring?"
    )
    found = ranker().rank([message], AnswerWeights(dense=0, bm25=0, entailment=1), signals=("entailment",))[0]
    assert found[0][0].answer_id == "A_2"
    treated = ranker().rank(["my mother has pnuemonia, how is it treated"], AnswerWeights())[0]
    assert treated[0][0].answer_id == "B_1"


def test_entailment_probability_rises_with_each_agreement():
    base = {"question_sim": 0.5, "rewrite_sim": 0.5, "focus": 0.0, "type": 0.0}
    p = entailment_probability(base)
    assert 0 < p < entailment_probability({**base, "focus": 1.0}) < 1
    assert p < entailment_probability({**base, "type": 1.0})
    assert p < entailment_probability({**base, "question_sim": 0.9})


def test_question_vectors_are_cached_by_text(tmp_path):
    embedder = WordsEmbedder()
    first = question_vectors(["What is pneumonia ?", "", "Is it inherited ?"], embedder, tmp_path)
    assert embedder.texts == 2 and not first[1].any()
    again = question_vectors(["Is it inherited ?", "What causes pneumonia ?"], embedder, tmp_path)
    assert embedder.texts == 3  # only the new question was embedded
    assert np.allclose(again[0], first[2])


def test_entailment_probability_takes_other_weights():
    features = {"question_sim": 1.0, "rewrite_sim": 0.0, "focus": 0.0, "type": 0.0}
    assert entailment_probability(features, (0.0, 0.0, 0.0, 0.0), 0.0) == 0.5
    assert entailment_probability(features, (2.0, 0.0, 0.0, 0.0), -2.0) == 0.5


def test_rescoring_entailment_reorders_the_same_candidates_under_other_weights():
    answers = ranker()
    found = answers.signal_rankings(["my mother has pnuemonia, how is it treated"])[0]
    # Only question type counts: the treatment answer first, whatever its similarity.
    by_type = answers.rescore_entailment(found, (0.0, 0.0, 0.0, 5.0), -1.0)
    assert by_type.candidates is found.candidates and by_type.rankings["bm25"] == found.rankings["bm25"]
    assert answers.questions.units[by_type.rankings["entailment"][0]].key == "B_1"
    assert set(by_type.rankings["entailment"]) == set(found.rankings["entailment"])
    # Negative type weight: the treatment answer falls behind every other candidate.
    against = answers.rescore_entailment(found, (0.0, 0.0, 0.0, -5.0), 0.0)
    assert answers.questions.units[against.rankings["entailment"][-1]].key == "B_1"


def test_signal_rankings_report_the_time_of_each_part():
    timings: dict[str, float] = {}
    ranker().signal_rankings(["my dad has pneumonia", "angelman syndrome"], timings=timings)
    assert set(timings) == {"understanding", "embedding", "bm25", "entailment"}  # no dense stage here
    assert all(seconds >= 0 for seconds in timings.values())

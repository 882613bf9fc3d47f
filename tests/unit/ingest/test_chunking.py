import itertools

import pytest

from careguide.ingest import Chunker, Document, Section, split_sentences
from careguide.ingest.chunking import word_count_tokens


def doc(*sections: Section, title: str = "Guide") -> Document:
    return Document(source_key="k", title=title, sections=sections, source="local")


def test_split_sentences_keeps_sentences_whole():
    text = "Acromegaly is rare. It affects adults!\n\nSee a doctor? Yes. 3 tests exist."
    assert split_sentences(text) == [
        "Acromegaly is rare.",
        "It affects adults!",
        "See a doctor?",
        "Yes.",
        "3 tests exist.",
    ]


def test_split_sentences_breaks_list_items():
    assert split_sentences("Signs include:\n- fever\n- rash") == [
        "Signs include:",
        "- fever",
        "- rash",
    ]


@pytest.mark.parametrize(("max_tokens", "overlap"), [(12, 0), (12, 4), (30, 10), (5, 2)])
def test_windows_are_bounded_and_cover_every_sentence(max_tokens, overlap):
    sentences = [f"Sentence number {i} has exactly six words." for i in range(1, 3)]
    sentences += [f"Short {i}." for i in range(10)]
    chunker = Chunker(word_count_tokens, max_tokens=max_tokens, overlap_tokens=overlap)
    chunks = chunker.chunk(doc(Section(" ".join(sentences))))
    for chunk in chunks:
        assert len(chunk.text.split()) <= max(max_tokens, 7)
    joined = " ".join(c.text for c in chunks)
    for sentence in sentences:
        assert sentence in joined or max_tokens < 7


def test_overlap_repeats_trailing_sentences():
    text = " ".join(f"Fact {i} is here." for i in range(12))  # 4 words each
    chunks = Chunker(word_count_tokens, max_tokens=16, overlap_tokens=4).chunk(doc(Section(text)))
    assert len(chunks) > 2
    for first, second in itertools.pairwise(chunks):
        assert first.text.split(". ")[-1].rstrip(".") in second.text


def test_long_sentence_is_cut_by_words():
    text = " ".join(["word"] * 95) + "."
    chunks = Chunker(word_count_tokens, max_tokens=20, overlap_tokens=0).chunk(doc(Section(text)))
    assert len(chunks) >= 5
    assert all(len(c.text.split()) <= 20 for c in chunks)


def test_sections_keep_headings_page_and_ids():
    document = doc(
        Section("Intro text.", headings=("Guide",), page=1),
        Section("Dose text.", headings=("Guide", "Dosing"), page=2),
    )
    chunks = Chunker(word_count_tokens, 50, 10).chunk(document)
    assert [c.heading_path for c in chunks] == ["Guide", "Guide > Dosing"]
    assert [c.page for c in chunks] == [1, 2]
    assert [c.chunk_id for c in chunks] == [f"{document.doc_id}-0000", f"{document.doc_id}-0001"]
    assert all(c.n_chunks == 2 for c in chunks)
    assert chunks[1].indexed_text.startswith("Guide — Guide > Dosing\n")


def test_doc_id_follows_content():
    a = doc(Section("Text one."))
    assert a.doc_id == doc(Section("Text one.")).doc_id
    assert a.doc_id != doc(Section("Text two.")).doc_id
    assert a.doc_id != doc(Section("Text one."), title="Other").doc_id

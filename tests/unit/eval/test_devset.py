import random

from careguide.eval.devset import (
    DevQuestion,
    answered_pairs,
    consumer_variant,
    sample_dev_set,
    typo_variant,
    with_variants,
)

ITEM = DevQuestion("What are the symptoms of Acromegaly ?", "NIDDK_1_Sec2", "Acromegaly", "symptoms")


def test_variants_are_seeded_and_differ_from_the_template():
    families = with_variants([ITEM], seed=0)
    assert set(families) == {"template", "lowercase", "typos", "consumer"}
    assert families["lowercase"][0].question == "what are the symptoms of acromegaly"
    assert families["typos"][0].question != families["lowercase"][0].question
    assert "acromegaly" in families["consumer"][0].question
    assert with_variants([ITEM], seed=0) == families
    assert all(f[0].answer_id == ITEM.answer_id for f in families.values())


def test_typos_change_one_or_two_long_words():
    rng = random.Random(1)
    original = ["what", "are", "the", "symptoms", "of", "acromegaly"]
    changed = typo_variant(ITEM, rng).split()
    assert 1 <= sum(a != b for a, b in zip(original, changed, strict=True)) <= 2


def test_consumer_variant_uses_focus_and_person():
    text = consumer_variant(ITEM, random.Random(3))
    assert "acromegaly" in text and ("my " in text or "i " in text or text.startswith("how"))


def test_dev_set_from_real_medquad_is_fixed_and_large_enough(medquad_dir):
    pairs = answered_pairs(medquad_dir, ["9_CDC_QA", "8_NHLBI_QA_XML", "5_NIDDK_QA"])
    assert len(pairs) > 1000
    assert len({p.answer_id for p in pairs}) == len(pairs)
    first = sample_dev_set(pairs, 1000, seed=0)
    assert first == sample_dev_set(pairs, 1000, seed=0)
    assert first != sample_dev_set(pairs, 1000, seed=1)


def test_urls_are_normalised_for_matching():
    from careguide.eval.devset import normalise_url

    assert normalise_url("https://www.NLM.nih.gov/medlineplus/Flu.html/") == "medlineplus.gov/flu.html"
    assert normalise_url("http://ghr.nlm.nih.gov/condition/x") == normalise_url(
        "https://ghr.nlm.nih.gov/condition/x/"
    )


def test_consumer_split_is_seeded_and_disjoint():
    from careguide.eval.devset import ConsumerQuestion, split_consumer_set

    items = [ConsumerQuestion(f"test-{i}", f"q{i}", frozenset({f"A_{i}"}), frozenset()) for i in range(40)]
    parts = split_consumer_set(items)
    assert parts == split_consumer_set(list(reversed(items)))[::-1]
    assert {p.part for p in parts} == {"tune", "report"}
    assert sum(p.part == "report" for p in parts) == 20


def test_real_consumer_set_maps_judged_good_answers_to_the_knowledge_base(medquad_dir):
    from careguide.config import load_settings
    from careguide.eval.devset import load_consumer_set

    settings = load_settings()
    items = load_consumer_set(
        settings.data_dir.resolve() / "mediqa2019", medquad_dir, settings.knowledge_base.medquad_subsets
    )
    assert len(items) >= 100 and len({i.qid for i in items}) == len(items)
    by_id = {i.qid: i for i in items}
    assert "GHR_0000058_Sec4" in by_id["test-7"].gold_answers  # Angelman syndrome, inheritance
    assert by_id["test-7"].gold_urls == {"ghr.nlm.nih.gov/condition/angelman-syndrome"}

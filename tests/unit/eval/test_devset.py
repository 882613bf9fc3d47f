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

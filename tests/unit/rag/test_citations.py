import pytest

from careguide.rag.citations import cite_once, render, supports, verify_answer
from careguide.rag.words import quantities

PASSAGES = [
    "Acromegaly is a hormonal disorder that develops when the pituitary gland produces too much growth "
    "hormone during adulthood. Common symptoms include enlarged hands and feet.",
    "Adults with type 2 diabetes often start metformin at 500 mg twice a day with meals. "
    "Metformin does not cause low blood sugar when taken alone.",
    "Surgery is usually the first treatment for acromegaly.",
]


def kept(answer: str) -> list[tuple[str, tuple[int, ...]]]:
    return [(s.text, s.cited) for s in verify_answer(answer, PASSAGES) if s.kept]


def test_supported_sentence_with_the_right_citation_is_kept():
    result = verify_answer(
        "Acromegaly happens when the pituitary gland produces too much growth hormone [1].", PASSAGES
    )
    assert result[0].kept and result[0].cited == (1,) and not result[0].reattributed


def test_wrong_citation_is_reattributed():
    (sentence,) = verify_answer("Surgery is usually the first treatment for acromegaly [2].", PASSAGES)
    assert sentence.kept and sentence.reattributed and sentence.cited == (3,)


def test_invented_dose_is_dropped():
    (sentence,) = verify_answer("Adults often start metformin at 850 mg twice a day [2].", PASSAGES)
    assert not sentence.kept and "850 mg" in sentence.reason


def test_changed_frequency_is_dropped():
    (sentence,) = verify_answer("Adults often start metformin at 500 mg once a day with meals [2].", PASSAGES)
    assert not sentence.kept and "frequency" in sentence.reason


def test_flipped_negation_is_dropped():
    (sentence,) = verify_answer("Metformin can cause low blood sugar when taken alone [2].", PASSAGES)
    assert not sentence.kept and "negation" in sentence.reason
    negated = verify_answer("Metformin does not cause low blood sugar when taken alone [2].", PASSAGES)
    assert negated[0].kept


def test_sentence_from_no_passage_is_dropped():
    (sentence,) = verify_answer("Acromegaly is caused by eating too much sugar as a child [1].", PASSAGES)
    assert not sentence.kept


def test_advice_to_ask_the_care_team_needs_no_citation():
    assert kept("Ask your doctor about the best treatment for you.") == [
        ("Ask your doctor about the best treatment for you.", ())
    ]


def test_out_of_range_citation_is_ignored_and_checked_against_all_passages():
    (sentence,) = verify_answer("Surgery is usually the first treatment for acromegaly [9].", PASSAGES)
    assert sentence.kept and sentence.cited == (3,)


def test_render_keeps_markers_before_the_full_stop():
    answer = "Surgery is usually the first treatment for acromegaly [3]. It cures everything in 2 days [3]."
    assert (
        render(verify_answer(answer, PASSAGES))
        == "Surgery is usually the first treatment for acromegaly [3]."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rest helps [1][1][1].", "Rest helps [1]."),
        ("Rest helps [2] [1][2].", "Rest helps [2][1]."),
        ("Rest helps [1]. Fluids help [1].", "Rest helps [1]. Fluids help [1]."),
        ("Signs include [1]:\n- aches [1]\n- chills [1]", "Signs include [1]:\n- aches [1]\n- chills [1]"),
    ],
)
def test_cite_once_keeps_each_number_once_per_run_of_markers(text, expected):
    assert cite_once(text) == expected


def test_a_sentence_citing_one_passage_many_times_is_checked_and_shown_with_one_marker():
    answer = "Surgery is usually the first treatment [3] for acromegaly [3][3]."
    (sentence,) = verify_answer(answer, PASSAGES)
    assert sentence.kept and sentence.cited == (3,)
    assert render([sentence]) == "Surgery is usually the first treatment for acromegaly [3]."


@pytest.mark.parametrize(
    ("text", "expected"),
    [("500 mg twice", {"500 mg"}), ("1,000 units", {"1000 units"}), ("20% of people", {"20 %"})],
)
def test_quantities(text, expected):
    assert quantities(text) == expected


def test_supports_reports_low_overlap():
    verdict = supports("Bananas are yellow fruit grown in warm places", PASSAGES[0])
    assert not verdict.supported and "words" in verdict.reason


def test_stray_markers_are_not_sentences():
    answer = "Surgery is usually the first treatment for acromegaly [3]. [1]."
    assert (
        render(verify_answer(answer, PASSAGES))
        == "Surgery is usually the first treatment for acromegaly [3]."
    )


def test_a_claim_about_another_condition_is_dropped():
    passage = (
        "Treatment is directed towards the specific symptoms of Townes-Brocks syndrome, including surgery."
    )
    (sentence,) = verify_answer(
        "The treatment for Holmes-Adie syndrome is directed towards the specific symptoms [1].", [passage]
    )
    assert not sentence.kept and "holmes-adie" in sentence.reason


def test_typographic_apostrophes_do_not_flip_negation():
    passage = "Typhoid fever’s danger doesn’t end when symptoms disappear."
    assert supports("Typhoid fever's danger doesn't end when symptoms disappear.", passage).supported


def test_a_copied_passage_title_is_not_shown():
    answer = (
        "What is (are) acromegaly ?: Surgery is usually the first treatment for acromegaly [3]. "
        "How is acromegaly treated?: [1]."
    )
    checked = verify_answer(answer, PASSAGES)
    assert render(checked) == "Surgery is usually the first treatment for acromegaly [3]."
    # A question in the answer (a title copied without its colon) states nothing: it is not shown.
    assert "?" not in render(verify_answer("How is acromegaly treated? Surgery [3].", PASSAGES))


def test_lists_are_rendered_as_lists():
    passages = ["Signs include - joint aches - oily skin - large lips. joint aches oily skin large lips"]
    run_on = verify_answer("Signs include - joint aches - oily skin - large lips [1].", passages)
    assert render(run_on) == "Signs include [1]:\n- joint aches\n- oily skin\n- large lips."
    lines = verify_answer(
        "Signs include:\n- joint aches [1]\n- oily skin [1]\nThey vary [1].", [*passages, "They vary."]
    )
    assert render(lines) == "Signs include [1]:\n- joint aches [1]\n- oily skin [1]\n\nThey vary [2]."


# Cases taken from the hand-labelled answers of the 1.5B model (eval/datasets/labelled_answers.jsonl).
TREMOR = (
    'Eliminating tremor "triggers" such as caffeine and other stimulants from the diet is often '
    "recommended. Physical therapy may help to reduce tremor and improve coordination and muscle "
    "control for some patients."
)


def test_a_treatment_no_passage_names_is_not_carried_by_the_rest_of_the_sentence():
    copied = "Physical therapy may help to reduce tremor and improve coordination [1]."
    assert verify_answer(copied, [TREMOR])[0].kept
    added = (
        "The treatments for essential tremor include eliminating triggers like caffeine and stimulants "
        "from the diet, physical therapy to reduce tremor and improve coordination, and sometimes "
        "medications such as propranolol or primidone to relieve symptoms [1]."
    )
    (sentence,) = verify_answer(added, [TREMOR])
    assert not sentence.kept and "words are in the passage" in sentence.reason


def test_a_question_in_the_passage_does_not_hide_its_negated_answer():
    passage = (
        "Is mosaic trisomy 9 inherited? Mosaic trisomy 9 is usually not inherited. It often occurs "
        "sporadically as a random event."
    )
    (flipped,) = verify_answer("Mosaic trisomy 9 is inherited [1].", [passage])
    assert not flipped.kept and "negation" in flipped.reason
    assert verify_answer("Mosaic trisomy 9 is usually not inherited [1].", [passage])[0].kept


def test_a_negated_list_item_does_not_flip_its_neighbour():
    passage = (
        "- Do not share clothing, beds, bedding, and towels used by an infested person. - Fumigation or "
        "dusting with chemical insecticides sometimes is necessary to control body lice."
    )
    claim = (
        "Fumigation or dusting with chemical insecticides sometimes is necessary to control body lice [1]."
    )
    assert verify_answer(claim, [passage])[0].kept


def test_word_forms_match():
    assert supports("Symptoms involved enlarged hands.", "Common symptoms involve enlarged hands.").supported
    assert supports("Symptoms included enlarged hands.", "Common symptoms include enlarged hands.").supported


# A piece of a split sentence is checked against its own half of the source sentence.
SPLIT_SOURCE = (
    "Rest alone does not mend a torn tendon quickly, but gentle stretching can restore movement over "
    "several weeks."
)


def test_a_piece_whose_source_negation_is_in_the_other_half_is_supported():
    assert supports("But gentle stretching can restore movement over several weeks.", SPLIT_SOURCE).supported
    assert supports("Rest alone does not mend a torn tendon quickly.", SPLIT_SOURCE).supported


def test_a_piece_that_drops_the_negation_of_its_own_half_is_rejected():
    verdict = supports("Rest alone mends a torn tendon quickly.", SPLIT_SOURCE)
    assert not verdict.supported and "negation" in verdict.reason
    added = supports("But gentle stretching cannot restore movement over several weeks.", SPLIT_SOURCE)
    assert not added.supported and "negation" in added.reason


DEFINITION = "Gestational diabetes is a type of diabetes that develops during pregnancy."


def test_a_sentence_with_its_subject_swapped_is_rejected():
    verdict = supports(
        "Pregnancy is a type of diabetes that develops during gestational diabetes.", DEFINITION
    )
    assert not verdict.supported and "subject" in verdict.reason
    assert supports("Gestational diabetes is a type of diabetes.", DEFINITION).supported
    assert supports("It develops during pregnancy.", DEFINITION).supported


def test_a_lay_synonym_of_the_subject_is_supported():
    source = "Over many years, hypertension can damage the small blood vessels of the kidneys."
    assert supports(
        "High blood pressure can damage the small blood vessels of the kidneys.", source
    ).supported
    swapped = supports("The kidneys can damage the small blood vessels of hypertension.", source)
    assert not swapped.supported and "subject" in swapped.reason


def test_one_substituted_noun_is_rejected_even_above_the_overlap_threshold():
    source = "Lead poisoning can cause anemia in young children."
    verdict = supports("Lead poisoning can cause fever in young children.", source)
    assert verdict.overlap >= 0.8 and not verdict.supported and "fever for anemia" in verdict.reason


def test_a_glossary_word_that_says_not_counts_as_the_passage_negation():
    passage = "There is insufficient evidence that heat helps, although cold packs can ease swelling."
    assert supports("There is not enough evidence that heat helps.", passage).supported
    assert supports("Cold packs can ease swelling.", passage).supported
    assert not supports("Cold packs cannot ease swelling.", passage).supported

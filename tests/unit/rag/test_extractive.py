"""Choosing the passage sentences that answer the question asked (no model)."""

from __future__ import annotations

from careguide.ingest import Chunk
from careguide.rag import Passage
from careguide.rag.extractive import Unit, _ranked, choose, narrower, question_parts, render_units, units_of
from careguide.rag.words import content_words


def passage(text: str, title: str, qtype: str, topic: str = "Shingles") -> Passage:
    chunk = Chunk(
        f"c-{title}", "d", "k", 0, 1, text, title, "", "medquad", "NIH", "https://example.org", "CC BY 4.0",
        answer_id=f"a-{title}", topic=topic, question_type=qtype,
    )  # fmt: skip
    return Passage(chunk, 0.8)


SHINGLES = [
    passage(
        "If you have shingles, keep the rash covered and avoid touching or scratching it. Shingles "
        "cannot be passed from one person to another. However, the varicella-zoster virus can spread "
        "through direct contact with fluid from the rash blisters.",
        "Is shingles contagious ?",
        "information",
    ),
    passage(
        "Caused By A Virus Shingles is caused by a virus called varicella-zoster virus. It is with you "
        "for life. Treatment with antiviral medicines can speed healing.",
        "What causes Shingles ?",
        "causes",
    ),
]


def chosen_text(question: str, passages: list[Passage]) -> str:
    text, _ = render_units(choose(question, passages), plain=False)
    return text


def test_a_two_part_question_gets_the_cause_and_the_contagion_sentences():
    text = chosen_text("what causes shingles and is it contagious to my grandkids?", SHINGLES)
    assert "Shingles is caused by a virus called varicella-zoster virus [2]." in text
    assert "cannot be passed from one person to another [1]" in text
    assert "keep the rash covered" not in text  # advice, not an answer to either part
    assert "Caused By A Virus" not in text  # the glued heading is not shown


def test_question_types_pick_different_sentences_from_the_same_passages():
    assert "antiviral" in chosen_text("How is shingles treated?", SHINGLES)
    assert "antiviral" not in chosen_text("What causes shingles?", SHINGLES)


def test_each_question_of_a_message_is_a_part():
    parts = question_parts("What causes gout? How is it treated?")
    assert [p.types for p in parts] == [("causes",), ("treatment",)]
    assert [p.types for p in question_parts("Is shingles contagious?")] == [("contagion",)]


def test_a_question_the_passages_do_not_name_gets_no_extract():
    assert chosen_text("What is lisinopril used for?", SHINGLES) == ""


def test_lists_stay_lists_and_medquad_repeats_are_cut():
    acro = passage(
        "Signs of acromegaly include - joint aches - thick, coarse, oily skin - enlarged lips. "
        "joint aches thick, coarse, oily skin enlarged lips",
        "What are the symptoms of Acromegaly ?",
        "symptoms",
        "Acromegaly",
    )
    [unit] = units_of(acro, 1)
    assert unit.items == ("joint aches", "thick, coarse, oily skin", "enlarged lips")
    text = chosen_text("What are the symptoms of acromegaly?", [acro])
    assert (
        text == "Signs of acromegaly include [1]:\n- joint aches\n- thick, coarse, oily skin\n- enlarged lips"
    )
    assert "?" not in text  # the passage title is never echoed


def test_questions_and_page_navigation_are_never_answers():
    text = "What is shingles? Shingles is a painful rash. (Watch the video to learn more. Click the arrow.)"
    units = units_of(passage(text, "What is shingles ?", "information"), 1)
    assert [u.text for u in units] == ["Shingles is a painful rash."]


def test_a_sentence_about_another_numbered_kind_is_not_an_answer():
    diabetes = passage(
        "There is no way to delay or prevent type 1 diabetes. People with type 2 diabetes can prevent "
        "problems by eating fewer sweets.",
        "How to prevent Diabetes ?",
        "prevention",
        "Diabetes",
    )
    text = chosen_text("How can my dad prevent problems from type 2 diabetes?", [diabetes])
    assert "type 2 diabetes" in text and "type 1" not in text


def test_the_same_sentence_in_two_passages_is_said_once():
    twice = [
        passage("Shingles is caused by a virus.", f"What causes Shingles {n}?", "causes") for n in (1, 2)
    ]
    assert chosen_text("What causes shingles?", twice).count("caused by a virus") == 1


def test_a_sentence_about_a_narrower_topic_than_the_question_comes_after_the_general_one():
    diabetes = [
        passage(
            "Gestational diabetes is caused by hormones made by the placenta during pregnancy.",
            "What causes Diabetes ?",
            "causes",
            "Diabetes",
        ),
        passage(
            "Diabetes is caused by too little insulin or by insulin that does not work well.",
            "What causes Diabetes ?",
            "causes",
            "Diabetes",
        ),
    ]
    text = chosen_text("What causes diabetes?", diabetes)
    assert text.startswith("Diabetes is caused by too little insulin")
    assert "Gestational" not in text
    # Asked about that kind, the same sentence answers.
    assert "Gestational diabetes is caused" in chosen_text("What causes gestational diabetes?", diabetes)


def test_a_passage_on_a_narrower_topic_is_not_preferred():
    eyes = passage(
        "Diabetes can cause damage to the small blood vessels in the back of the eye.",
        "What causes Diabetic Eye Problems ?",
        "causes",
        "Diabetic Eye Problems",
    )
    general = passage(
        "Diabetes is caused by too little insulin or by insulin that does not work well.",
        "What causes Diabetes ?",
        "causes",
        "Diabetes",
    )
    [(_, units)] = choose("What causes diabetes?", [eyes, general], per_part=1)
    assert [u.n for u in units] == [2]


def test_near_duplicates_are_said_once_in_the_easier_words():
    hard = passage(
        "Shingles is caused by reactivation of the latent varicella-zoster virus residing in sensory ganglia.",
        "What causes Shingles ?",
        "causes",
    )
    easy = passage(
        "Shingles is caused by the varicella-zoster virus waking up in the sensory ganglia.",
        "What causes Shingles ?",
        "causes",
    )
    text = chosen_text("What causes shingles?", [hard, easy])
    assert text.count("Shingles is caused by") == 1
    assert "waking up" in text and "[2]" in text


def test_each_sentence_of_a_split_unit_carries_its_citation():
    long = passage(
        "Shingles is caused by the varicella-zoster virus, and it stays in the body for the rest of your life.",
        "What causes Shingles ?",
        "causes",
    )
    text, _ = render_units(choose("What causes shingles?", [long]))
    assert text == (
        "Shingles is caused by the varicella-zoster virus [1]. It stays in the body for the rest of your life [1]."
    )


def test_a_spelled_out_name_beside_the_asked_short_form_is_not_a_narrower_topic():
    copd = passage(
        "Chronic obstructive pulmonary disease, or COPD, is a lung disease that makes it hard to breathe.",
        "What is COPD ?",
        "information",
        "COPD",
    )
    [(part, _)] = choose("what is copd", [copd])
    [unit] = units_of(copd, 1)
    assert not narrower(unit, part, copd, frozenset(content_words("what is copd")))
    assert "lung disease" in chosen_text("what is copd", [copd])


def test_lists_of_resources_are_not_answers():
    resources = passage(
        "These resources address the diagnosis or management of Milroy disease: - Gene Review: Milroy "
        "Disease - Genetic Testing Registry: Hereditary lymphedema type I",
        "What are the treatments for Milroy disease ?",
        "treatment",
        "Milroy disease",
    )
    assert units_of(resources, 1) == []


def test_a_harder_sentence_that_answers_is_still_said_after_an_easier_one():
    dementia = passage(
        "Dementia is the name for a group of symptoms caused by disorders that affect the brain. "
        "Many different diseases can cause dementia, including Alzheimer's disease and stroke.",
        "What causes Dementia ?",
        "causes",
        "Dementia",
    )
    text = chosen_text("What causes dementia?", [dementia])
    assert "group of symptoms" in text and "Many different diseases can cause dementia" in text


def test_a_spanish_page_link_is_not_part_of_the_first_sentence():
    anemia = passage(
        "Español Anemia is a condition of the blood.", "What is Anemia ?", "information", "Anemia"
    )
    assert [u.text for u in units_of(anemia, 1)] == ["Anemia is a condition of the blood."]


def test_a_heading_before_a_dash_is_cut_and_still_says_what_the_sentence_answers():
    cold = passage(
        "Home care - Most people with a cold get better by resting and drinking plenty of fluids.",
        "What are the treatments for the common cold ?",
        "information",
        "Common cold",
    )
    units = units_of(cold, 1)
    assert [u.text for u in units] == [
        "Most people with a cold get better by resting and drinking plenty of fluids."
    ]
    assert units[0].heading == "Home care"
    assert "resting" in chosen_text("How do you treat a cold?", [cold])


def test_the_symptom_table_boilerplate_is_not_an_answer():
    text = (
        "If the information is available, the table below includes how often the symptom is seen in "
        "people with this condition. Most people with the syndrome have short fingers."
    )
    units = units_of(passage(text, "What are the symptoms of X syndrome ?", "symptoms"), 1)
    assert [u.text for u in units] == ["Most people with the syndrome have short fingers."]
    legend = (
        "For example, a frequency of 10/12 means that in a study of 12 people, 10 had that sign. "
        "Because these frequencies are based on one study, the fractions may differ in another group. "
        "Sometimes, no percentage is available. In these cases, the sign or symptom may be rare or common. "
        "Frequent headaches are a common symptom."
    )
    units = units_of(passage(legend, "What are the symptoms of X syndrome ?", "symptoms"), 1)
    assert [u.text for u in units] == ["Frequent headaches are a common symptom."]


def test_a_sentence_saying_what_the_topic_is_answers_what_it_is():
    gout = passage(
        "Gout attacks often start at night in the big toe. Gout is painful swelling of a joint.",
        "What are the symptoms of Gout ?",
        "symptoms",
        "Gout",
    )
    [(_, units)] = choose("What is gout?", [gout], per_part=1)
    assert [u.text for u in units] == ["Gout is painful swelling of a joint."]


MARFAN = passage(
    "Marfan syndrome has no cure. Treatment with medicines that slow the heart can protect the aorta.",
    "What are the treatments for Marfan syndrome ?",
    "treatment",
    "Marfan syndrome",
)


def test_a_misspelt_condition_name_still_finds_its_passage():
    assert "Marfan syndrome" in chosen_text("what treatment helps marfann?", [MARFAN])


def test_a_condition_named_without_its_generic_word_is_the_passage_focus():
    assert "Marfan syndrome" in chosen_text(
        "what treatments are available to adult men with marfan's?", [MARFAN]
    )


def test_a_drug_name_sharing_only_its_first_letters_with_the_passage_is_not_named():
    metformin = passage(
        "Metformin is a medicine that lowers blood sugar.",
        "What are the treatments for Diabetes ?",
        "treatment",
        "Diabetes",
    )
    assert chosen_text("What is Metoprolol used for in diabetes?", [metformin]) == ""


def test_a_short_hyphenated_name_must_still_be_in_the_passage():
    kidney = passage(
        "Adults with kidney disease need less protein each month than before.",
        "What is (are) Nutrition for Kidney Disease in Adults ?",
        "information",
        "Kidney Disease",
    )
    assert chosen_text("how much b-12 is needed in an adult each month", [kidney]) == ""


def test_of_two_near_ties_the_better_ranked_passage_is_said_first():
    first, second, third = (Unit(n, 0, f"Sentence {n}.") for n in (1, 2, 3))
    ranked = _ranked([(4.1, 4.1, third), (4.2, 4.2, second), (4.0, 4.0, first)])
    assert [u.n for _, _, u in ranked] == [1, 2, 3]
    # A clearly better unit still comes first, whatever its passage.
    ranked = _ranked([(5.0, 5.0, third), (4.0, 4.0, first)])
    assert [u.n for _, _, u in ranked] == [3, 1]


def test_a_second_sentence_is_said_only_when_it_reads_easily_enough():
    flu = passage(
        "Influenza is a contagious respiratory illness caused by influenza viruses that infect the nose, "
        "throat and lungs. Flu is an illness that spreads in winter. Flu is a disease predominantly "
        "affecting individuals through inflammatory respiratory complications necessitating hospitalization.",
        "What is Flu ?",
        "information",
        "Flu",
    )
    [(_, units)] = choose("What is flu?", [flu], max_words=60, per_part=3, then_easy=8.0)
    said = [u.text for u in units]
    assert "Flu is an illness that spreads in winter." in said
    assert not any("necessitating" in s for s in said)  # answers, but reads too hard after the first
    [(_, units)] = choose("What is flu?", [flu], max_words=60, per_part=3)
    assert any("necessitating" in u.text for u in units)


FLU = [
    passage(
        "Flu is a respiratory infection caused by a number of viruses. Symptoms come on suddenly. "
        "Colds rarely cause a fever or headaches.",
        "What is (are) Flu ?",
        "information",
        topic="Flu",
    )
]


def test_what_something_else_causes_is_not_a_cause_of_the_topic():
    text = chosen_text("What causes flu?", FLU)
    assert "caused by a number of viruses" in text
    assert "Colds rarely cause" not in text


def test_an_active_cause_of_the_topic_answers():
    hives = [
        passage("Allergies cause most hives. Hives look like red welts.", "Hives", "information", "Hives")
    ]
    assert "Allergies cause most hives" in chosen_text("what causes hives", hives)


def test_genetic_factors_answer_whether_a_condition_runs_in_families():
    pcos = [
        passage(
            "PCOS is a hormone problem that affects the ovaries. The cause of PCOS is unknown, but "
            "probably involves genetic and environmental factors.",
            "What is (are) Polycystic ovary syndrome ?",
            "information",
            "Polycystic ovary syndrome",
        )
    ]
    text = chosen_text("polycystic ovary syndrome: can parents pass it on in the genes?", pcos)
    assert "genetic and environmental factors" in text

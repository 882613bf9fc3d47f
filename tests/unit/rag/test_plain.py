"""The deterministic plain-language rewrite (each rewrite checked by its verifier)."""

from __future__ import annotations

import pytest

from careguide.rag.plain import simplify
from careguide.rag.rewrite_check import verify_rewrite


def test_a_medical_term_becomes_plain_with_the_term_once_in_brackets():
    seen: set[str] = set()
    first, _ = simplify("Hypertension can damage the kidneys.", seen)
    again, _ = simplify("Untreated hypertension is common.", seen)
    assert first == ["High blood pressure (hypertension) can damage the kidneys."]
    assert again == ["Untreated high blood pressure is common."]
    assert verify_rewrite("Hypertension can damage the kidneys.", first[0]).ok


def test_semicolons_and_long_enumerations_become_short_sentences_and_lists():
    sentences, items = simplify("Rest helps; fluids help too.")
    assert sentences == ["Rest helps.", "Fluids help too."] and not items
    sentences, items = simplify("Common symptoms include fever, chills, cough, and a sore throat.")
    assert sentences == ["Common symptoms include:"] and items == [
        "fever",
        "chills",
        "cough",
        "a sore throat",
    ]
    assert verify_rewrite(
        "Common symptoms include fever, chills, cough, and a sore throat.", " ".join([*sentences, *items])
    ).ok


def test_an_enumeration_sharing_its_words_is_not_cut_into_a_list():
    sentences, items = simplify(
        "Choose foods that are lower in calories, saturated fat, trans fat, sugar, and salt."
    )
    assert not items and len(sentences) == 1


def test_a_long_sentence_is_split_at_a_new_clause_with_its_own_subject():
    source = (
        "Gallstones form in the gallbladder over many years, but they do not usually cause any "
        "symptoms at all."
    )
    sentences, _ = simplify(source)
    assert sentences == [
        "Gallstones form in the gallbladder over many years.",
        "But they do not usually cause any symptoms at all.",
    ]
    assert verify_rewrite(source, " ".join(sentences)).ok
    reason = "Type 2 diabetes develops in many adults because the body does not use its insulin well."
    assert simplify(reason)[0] == [
        "Type 2 diabetes develops in many adults.",
        "This is because the body does not use its insulin well.",
    ]


@pytest.mark.parametrize(
    "source",
    [
        "With some kinds of anemia, you may have low numbers of all three kinds of blood cells.",
        "If the rash spreads to your eyes, you should call your doctor on the same day as it starts.",
        "Your doctor may tell you to eat smaller meals more often; avoid fried foods; and eat less fiber.",
        "Short sentences stay as they are, and it is fine.",
    ],
)
def test_a_sentence_whose_parts_cannot_stand_alone_is_not_split(source: str):
    assert simplify(source)[0] == [source]


def test_a_defined_abbreviation_is_dropped_unless_the_answer_uses_it_again():
    source = "Chronic kidney disease (CKD) means the kidneys slowly lose their work."
    sentences, _ = simplify(source)
    assert sentences == ["Chronic kidney disease means the kidneys slowly lose their work."]
    assert verify_rewrite(source, sentences[0]).ok
    assert simplify(source, keep=frozenset({"CKD"}))[0] == [source]
    again = "Chronic kidney disease (CKD) is common, and CKD can lead to kidney failure."
    assert "(CKD)" in " ".join(simplify(again)[0])
    # A bracketed short form that does not spell the words before it is a name: it stays.
    assert simplify("The changed gene is called (SLC4A1) here.")[0] == [
        "The changed gene is called (SLC4A1) here."
    ]
    # Dropping a short form that was never defined is not a faithful rewrite.
    assert not verify_rewrite("Tests include an MRI scan (MRI).", "Tests include a scan.").ok


def test_a_term_is_bracketed_once_and_never_inside_a_name_or_its_own_explanation():
    seen: set[str] = set()
    assert simplify("High blood pressure (hypertension) is common.", seen)[0] == [
        "High blood pressure (hypertension) is common."
    ]
    assert simplify("Hypertension (high blood pressure) is common.", set())[0] == [
        "Hypertension (high blood pressure) is common."
    ]
    name = "The National Institute of Neurological Disorders and Stroke supports research."
    assert simplify(name)[0] == [name]
    hyphen = "Chickenpox is caused by the varicella-zoster virus."
    assert simplify(hyphen)[0] == [hyphen]
    assert simplify("A radiologist reads the scan.")[0] == ["An x-ray doctor (radiologist) reads the scan."]


def test_plain_words_from_the_cdc_thesaurus_replace_their_terms_and_verify():
    source = "Pneumonia occurs more frequently in people who require a hospital stay."
    sentences, _ = simplify(source)
    assert sentences == ["Lung infection (pneumonia) happens more often in people who need a hospital stay."]
    assert verify_rewrite(source, sentences[0]).ok
    approximately = "The gene contains approximately 25 exons."
    assert verify_rewrite(approximately, simplify(approximately)[0][0]).ok
    absence = "It is present at birth in the absence of any brain damage."
    assert verify_rewrite(absence, "It is present at birth without any brain damage.").ok
    assert not verify_rewrite(absence, "It is not present at birth without any brain damage.").ok


@pytest.mark.parametrize(
    "source",
    [
        "Many germs, such as bacteria, viruses, and fungi, can cause lung infection.",
        "Other symptoms include ulcers in the nose and, in some cases, hearing loss.",
    ],
)
def test_commas_that_do_not_separate_items_make_no_list(source: str):
    assert simplify(source) == ([source], [])


def test_semicolons_inside_brackets_do_not_split_a_sentence():
    source = "Interferon worked better than no treatment (odds ratio 4.60; 95% CI 1.53 to 13.85)."
    assert simplify(source)[0] == [source]


def test_glued_brackets_hyphens_and_thousands_stay_as_written():
    glued = "Patients with core binding factor (CBF)-AML did better than the rest of the group in this trial."
    assert "(CBF)-AML" in " ".join(simplify(glued)[0])
    marker = "The test strategy combined maternal age with PAPP-A and a second blood marker in the mother."
    assert "PAPP-An" not in " ".join(simplify(marker)[0])
    thousands = "This update includes 44 studies and represents complete data for 36,593 study participants."
    sentences, items = simplify(thousands)
    assert not items and verify_rewrite(thousands, " ".join(sentences)).ok


def test_a_glossary_negation_counts_each_time_the_term_is_said():
    source = "There is insufficient evidence for rest and insufficient evidence for ice."
    sentences, _ = simplify(source)
    assert sentences == ["There is not enough evidence for rest and not enough evidence for ice."]
    assert verify_rewrite(source, sentences[0]).ok
    assert not verify_rewrite(source, "There is not enough evidence for rest and enough evidence for ice.").ok


def test_a_pronunciation_guide_is_dropped_and_the_rewrite_verifies():
    source = "Anemia (uh-NEE-me-uh) is a condition in which your blood has too few red blood cells."
    sentences, _ = simplify(source)
    assert sentences == [
        "Anemia is a condition.",
        "In this condition, your blood has too few red blood cells.",
    ]
    assert verify_rewrite(source, " ".join(sentences)).ok
    assert simplify("People with it (HIV-AIDS) need care.")[0] == ["People with it (HIV-AIDS) need care."]
    assert simplify("Other dementia (non-ADD) was rare.")[0] == ["Other dementia (non-ADD) was rare."]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Gout is a painful joint disease that happens when crystals of uric acid build up in a joint.",
         ["Gout is a painful joint disease.", "It happens when crystals of uric acid build up in a joint."]),
        ("Bunions are bony bumps that form slowly at the base of the big toe over many years of walking.",
         ["Bunions are bony bumps.", "They form slowly at the base of the big toe over many years of walking."]),
        ("Rosacea is a long-term skin condition characterized by redness and small bumps on the face and nose.",
         ["Rosacea is a long-term skin condition.", "It is marked by redness and small bumps on the face and nose."]),
        ("The disease is passed on in an X-linked pattern, which means the gene is on the X chromosome.",
         ["The disease is passed on in an X-linked pattern.", "This means the gene is on the X chromosome."]),
        ("Although the rash does not last long in most children, the cough may go on for several more weeks.",
         ["The rash does not last long in most children.", "But the cough may go on for several more weeks."]),
        ("The spleen is a small organ on the left side of the belly and is about the size of a fist.",
         ["The spleen is a small organ on the left side of the belly.", "It is about the size of a fist."]),
        ("Bed rest alone does not heal a broken rib quickly, but other breathing exercises can prevent a chest infection.",
         ["Bed rest alone does not heal a broken rib quickly.", "But other breathing exercises can prevent a chest infection."]),
        ("Medicare Part B is a medical insurance plan, meaning that it pays for doctor visits and some tests.",
         ["Medicare Part B is a medical insurance plan.", "This means that it pays for doctor visits and some tests."]),
    ],
)  # fmt: skip
def test_a_long_sentence_is_split_after_a_definition_a_comment_a_concession_or_a_second_predicate(
    source: str, expected: list[str]
):
    sentences, items = simplify(source)
    assert sentences == expected and not items
    assert verify_rewrite(source, " ".join(sentences)).ok


@pytest.mark.parametrize(
    "source",
    [
        # the clause is about the cells, not the lack: no "It carry"
        "Anemia is a lack of healthy red blood cells that carry oxygen to the tissues of the whole body.",
        # the head alone would say nothing
        "Heart failure is a term that refers to a heart that cannot pump enough blood for the body's needs.",
        # the second predicate may belong to the clause inside the head
        "People who smoke cigarettes every day and are overweight have a much higher risk of heart disease.",
        # the end of an enumeration, not a new clause
        "Signs include a high fever, a stiff neck, and the skin may peel off in large pieces later on.",
    ],
)
def test_a_clause_that_may_not_belong_to_the_subject_is_not_split(source: str):
    assert simplify(source)[0] == [source]


def test_a_condition_inside_the_head_keeps_its_consequence():
    source = (
        "The main thing to know is that if the pain spreads to your arm, you should call for help at once."
    )
    assert simplify(source)[0] == [source]


def test_everyday_words_replace_formal_ones_and_a_gene_change_names_its_term_once():
    seen: set[str] = set()
    sentences, _ = simplify("Rashes typically appear initially on the arms.", seen)
    assert sentences == ["Rashes usually appear at first on the arms."]
    first, _ = simplify("Mutations in one gene cause the disorder.", seen)
    again, _ = simplify("Such mutations are rare.", seen)
    assert first == ["Changes (mutations) in one gene cause the disorder."]
    assert again == ["Such changes are rare."]
    assert simplify("An individual with the rash feels itchy.")[0] == ["A person with the rash feels itchy."]
    for source, shown in [
        ("Rashes typically appear initially on the arms.", sentences[0]),
        ("Mutations in one gene cause the disorder.", first[0]),
    ]:
        assert verify_rewrite(source, shown).ok


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("Gout is a joint disease in which crystals of uric acid collect in a joint and make it hurt.",
         ["Gout is a joint disease.", "In this disease, crystals of uric acid collect in a joint and make it hurt."]),
        ("Night blindness (nyctalopia) is a common symptom that makes it hard to see in dim light at dusk.",
         ["Night blindness (nyctalopia) is a common symptom.", "It makes it hard to see in dim light at dusk."]),
        ("About 1 in 5,000 babies has the condition, and the number may be rising in some countries.",
         ["About 1 in 5,000 babies has the condition.", "The number may be rising in some countries."]),
        ("Splints are worn at night to rest the sore wrist for a few weeks, and are often enough to ease the pain.",
         ["Splints are worn at night to rest the sore wrist for a few weeks.", "They are often enough to ease the pain."]),
    ],
)  # fmt: skip
def test_more_safe_joints_in_a_long_sentence(source: str, expected: list[str]):
    sentences, items = simplify(source, set(), frozenset({"nyctalopia"}))
    assert sentences == expected and not items
    assert verify_rewrite(source, " ".join(sentences)).ok


@pytest.mark.parametrize(
    "source",
    [
        "Smoking and a poor diet are the most common habits that lead to this kind of heart disease later in life.",
        "Walking is a simple way in which older adults can keep their bones and muscles strong.",
        "Fever, a stiff neck, and the rash that spreads quickly are signs that a doctor should see the child today.",
    ],
)
def test_a_clause_that_picks_out_its_noun_or_ends_an_enumeration_stays(source: str):
    sentences, _ = simplify(source)
    assert len(sentences) == 1


@pytest.mark.parametrize(
    "source",
    [
        "Kidneys are the organs that filter waste out of the blood and make urine every day.",
        "A dermatologist is a doctor who treats problems of the skin, hair and nails in adults and children.",
    ],
)
def test_no_split_after_the_or_before_who_of_one_person(source: str):
    assert len(simplify(source)[0]) == 1


def test_a_list_never_cuts_a_bracket():
    sentences, items = simplify(
        "Sunburn is common but appears most often in sunny places (including Spain, Italy, and Greece)."
    )
    assert not items and sentences[0].endswith("Greece).")


def test_a_result_after_a_comma_becomes_its_own_sentence():
    source = "Stomach acid can flow back up into the food pipe after large meals, causing heartburn and a sour taste."
    sentences, items = simplify(source)
    assert (
        sentences
        == [
            "Stomach acid can flow back up into the food pipe after large meals.",
            "This causes heartburn and a sour taste.",
        ]
        and not items
    )
    assert verify_rewrite(source, " ".join(sentences)).ok
    assert not verify_rewrite(
        source, " ".join([sentences[0], "This prevents heartburn and a sour taste."])
    ).ok
    short = "Ice melts on the warm step, causing a puddle."
    assert simplify(short)[0] == [short]


@pytest.mark.parametrize(
    "source",
    [
        "Warts show up on the hands and feet of children, most commonly on the soles of the feet.",
        "Overview To keep the ankle strong, it helps to do gentle exercises every day for a few weeks.",
        "Hay fever (allergic rhinitis), which is very common in many countries, makes the nose run in spring.",
    ],
)
def test_no_split_after_a_title_or_before_an_aside(source: str):
    sentences, _ = simplify(source)
    assert len(sentences) == 1


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("There is no quick fix for a sprained ankle, but rest and ice can ease the swelling.",
         ["There is no quick fix for a sprained ankle.", "But rest and ice can ease the swelling."]),
        ("Some children lose their food allergy by school age, while others keep it for life.",
         ["Some children lose their food allergy by school age.", "But others keep it for life."]),
        ("Most bee stings hurt for a day or two, although a few people have a severe reaction.",
         ["Most bee stings hurt for a day or two.", "But a few people have a severe reaction."]),
    ],
)  # fmt: skip
def test_a_contrast_with_its_own_subject_becomes_a_but_sentence(source: str, expected: list[str]):
    sentences, _ = simplify(source)
    assert sentences == expected
    assert verify_rewrite(source, " ".join(sentences)).ok


@pytest.mark.parametrize(
    "source",
    [
        "Warts are not caused by frogs or toads, but spread through small cuts in the skin.",
        "Stretching the calf muscles can ease the cramps, while a warm bath relaxes the legs.",
        "Drink plenty of water every day to stay well, but not so much that you feel sick.",
    ],
)
def test_no_but_sentence_without_a_subject_or_for_an_adding_while(source: str):
    assert len(simplify(source)[0]) == 1

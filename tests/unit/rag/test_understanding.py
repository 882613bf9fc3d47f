from careguide.rag.understanding import (
    FocusLexicon,
    QuestionAnalyzer,
    normalise,
    question_types,
    split_questions,
)

TOPICS = [
    "Abetalipoproteinemia",
    "Pneumonia",
    "Chronic Lymphocytic Leukemia",
    "Leukemia",
    "Angelman syndrome",
    "Parkinson's Disease",
    "Chronic Obstructive Pulmonary Disease (COPD)",
    "Pain",
]
KNOWN = normalise("what is are the symptoms of treatments for how to diagnose chronic a an")


def lexicon() -> FocusLexicon:
    return FocusLexicon(TOPICS, KNOWN.split())


def focus_of(text: str) -> list[str]:
    return [m.term for m in lexicon().find(text)]


def test_exact_focus_prefers_the_longest_term():
    assert focus_of("What is the outlook for chronic lymphocytic leukemia?")[0] == (
        "chronic lymphocytic leukemia"
    )


def test_misspelt_focus_is_matched_to_the_knowledge_base_term():
    found = lexicon().find("abetalipoproteimemia hi, is there any support?")
    assert found and found[0].topics == ("Abetalipoproteinemia",)
    assert 0.84 <= found[0].score < 1.0
    assert focus_of("atypical pnuemonia again after treatment")[0] == "pneumonia"
    assert focus_of("How can I get Information on Cronic Lymphocytice Leukemia")[0] == (
        "chronic lymphocytic leukemia"
    )


def test_spelling_tolerance_does_not_invent_a_focus():
    assert focus_of("Hello, I would like some advice about my breakfast habits") == []
    assert focus_of("help me please") == []


def test_abbreviation_and_possessive_variants():
    assert lexicon().find("my dad has copd")[0].topics == ("Chronic Obstructive Pulmonary Disease (COPD)",)
    assert lexicon().find("does parkinsons disease get worse")[0].topics == ("Parkinson's Disease",)


def test_question_types_follow_medquad_qtypes():
    assert question_types("How is it treated? Is there a cure") == ["treatment"]
    assert question_types("Can the disorder be passed on to offspring?") == ["inheritance"]
    assert question_types("what are the signs of it") == ["symptoms"]
    assert question_types("What is Angelman syndrome") == ["information"]
    assert question_types("what causes it and how is it diagnosed") == ["causes", "exams and tests"]


def test_multi_question_messages_are_split():
    text = (
        "Angelman syndrome. Can a person with Angelman Syndrome have children? If so, can the "
        "disorder be passed on to offspring? Thanks"
    )
    assert split_questions(text) == [
        "Can a person with Angelman Syndrome have children?",
        "If so, can the disorder be passed on to offspring?",
    ]
    assert split_questions("my back hurts") == ["my back hurts"]


def test_analysis_writes_faq_style_queries_for_each_type():
    analyzer = QuestionAnalyzer(lexicon())
    analysis = analyzer.analyse(
        "Angelman syndrome. What are the symptoms? And how is it treated? My son has it."
    )
    assert [m.term for m in analysis.focus] == ["angelman syndrome"]
    assert analysis.types == ("symptoms", "treatment")
    assert analysis.rewrites == (
        "What are the symptoms of Angelman syndrome ?",
        "What are the treatments for Angelman syndrome ?",
    )
    assert analysis.to_json()["focus"] == ["angelman syndrome"]


def test_no_focus_means_no_rewrite():
    analysis = QuestionAnalyzer(lexicon()).analyse("I am trying to lose 50 pounds, what can I do?")
    assert analysis.focus == () and analysis.rewrites == ()
    assert analysis.types == ("treatment",)

"""Input policy checks: harmful requests, prompt injection, personal medical decisions, scope, size.

Each is a small rule-based check with its own table of cases in the tests; the rules are written to
refuse what is harmful without refusing what merely sounds alarming ("how do I kill weeds safely
around my kids?", "what is a lethal blood sugar level?").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from careguide.guardrails.deobfuscate import readings
from careguide.guardrails.types import CheckContext, GuardDecision


def _compile(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def _normalise(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


_DRUGS = (
    r"(?:opioids?|oxy\w*|percocet|vicodin|hydrocodone|fentanyl|morphine|codeine|tramadol|xanax|"
    r"valium|klonopin|benzo\w*|adderall|ritalin|ambien|ketamine|steroids?|antibiotics?|insulin|"
    r"ozempic|semaglutide|controlled\s+substances?|prescription\s+(?:drugs?|meds|medications?|pills)|"
    r"painkillers?|pain\s+pills|sleeping\s+pills)"
)

_VICTIM = (
    r"(?:a\s+|an\s+|the\s+)?(?:person|human|man|woman|child|kid|baby|someone|somebody|people|humans|humanity|"
    r"him|her|them|president|politician|(?:my|our|his|her)\s+(?:wife|husband|spouse|partner|ex|ex-\w+|ex\s+\w+|"
    r"boss|neighbou?r|mother|father|mom|mum|dad|son|daughter|brother|sister|child|kid|baby|co-?worker|friend|"
    r"girlfriend|boyfriend|roommate|teacher|classmate))\b"
)
# Violence asked about inside a game, film or story is fiction, not a plan.
FICTION = re.compile(
    r"\b(?:video\s+game|game|movie|film|novel|story|book|play|tv\s+show|series|call\s+of\s+duty|witcher|gta|"
    r"minecraft|fortnite|d&d|dnd|character)\b",
    re.IGNORECASE,
)

HARMFUL_PATTERNS: dict[str, tuple[str, ...]] = {
    "obtain_without_prescription": (
        r"\b(?:buy|get|order|obtain|score|purchase)\b.{0,40}\b" + _DRUGS + r".{0,40}\bwithout\s+(?:a\s+)?"
        r"(?:prescription|script|rx|doctor|seeing\s+a\s+doctor)",
        r"\bwithout\s+(?:a\s+)?(?:prescription|script|rx)\b.{0,40}\b(?:buy|get|order|obtain)\b",
        r"\b(?:fake|forge|forged|write\s+(?:my\s+own|a\s+fake))\s+(?:a\s+)?(?:prescription|script|rx)\b",
        r"\b(?:trick|fool|lie\s+to)\s+(?:my|the|a)\s+(?:doctor|pharmacist)\s+(?:into|to)\b",
        r"\bwhere\s+(?:can|do)\s+i\s+(?:buy|get|find)\b.{0,30}\b(?:fentanyl|oxy\w*|xanax|percocet)\b",
    ),
    "self_harm_method": (
        r"\b(?:lethal|fatal|deadly)\s+(?:dose|amount|overdose)\s+of\b.{0,40}\b(?:to\s+(?:die|kill|end)|"
        r"for\s+(?:a\s+)?(?:person|adult|someone|me))",
        r"\b(?:painless|quick|easiest|best)\s+(?:way|method)s?\s+to\s+(?:die|kill\s+(?:myself|yourself|someone))",
        r"\bhow\s+(?:do\s+i|to|can\s+i)\s+(?:overdose|poison\s+(?:myself|someone|him|her|my))\b",
        r"\bhow\s+(?:do\s+i|to|can\s+i)\s+(?:cut|hurt|harm)\s+(?:myself|yourself)\b",
        r"\bundetectable\s+poison\b|\bpoison\s+someone\b",
        r"\b(?:sever|pierce|slit|slash)\s+(?:my\s+(?:own\s+)?)(?:\w+\s+)?(?:artery|arteries|wrists?|throat|"
        r"veins?)\b",
    ),
    "violence_or_crime": (
        r"\b(?:how|where)\s+(?:do|can|should|would|could)\s+(?:i|we)\s+(?:best\s+)?(?:kill|murder|poison|stab|"
        r"shoot|strangle|butcher|gut|behead|kidnap|attack|assault|beat\s+up|smash|torture|do\s+away\s+with|"
        r"find\s+people\s+to\s+(?:shoot|kill|hurt))\s+" + _VICTIM,
        r"\b(?:best|easiest|quickest|fastest)\s+way\s+to\s+(?:kill|murder|hurt|poison|gut|butcher|attack|"
        r"stab|shoot)\s+" + _VICTIM,
        r"\bbreak\s+into\s+(?:my\s+\w+'s|someone'?s|a|the\s+neighbou?r'?s)\s+(?:house|home|car|flat|apartment)",
        r"\bhow\s+(?:do|can|should|would|could)\s+(?:i|we)\s+(?:best\s+)?(?:commit|plan|execute|carry\s+out)\s+"
        r"(?:and\s+execute\s+)?(?:a\s+|an\s+)?(?:\w+\s+)?(?:murder|assassination|robbery|bombing|"
        r"terrorist\s+attack|explosion|massacre|shooting)\b",
        r"\b(?:make|build|cook|synthesi[sz]e|produce|manufacture|brew|extract)\s+(?:a\s+|some\s+)?(?:homemade\s+)?"
        r"(?:bomb|pipe\s+bomb|explosives?|meth|methamphetamine|amphetamines?|crack|napalm|nerve\s+agents?|ricin|sarin|"
        r"fentanyl|heroin|lsd|mdma|ecstasy|dmt|ghb|tatp|thermite|chlorine\s+gas|mustard\s+gas|anthrax|(?:a\s+)?ghost\s+gun)\b",
        r"\b(?:buy|sell|score)\s+(?:some\s+)?(?:meth|crack|heroin|cocaine|fentanyl)\b",
        r"\bdispose\s+of\s+(?:a|my|the|his|her)\s+(?:dead\s+)?(?:body|corpse|baby)\b",
        r"\bhuman\s+trafficking\s+(?:operation|ring|business)\b",
    ),
    "dangerous_cure": (
        r"\b(?:drink|drinking|swallow|inject|injecting|gargle)\w*\s+(?:\w+\s+){0,2}(?:bleach|chlorine\s+dioxide|"
        r"mms|hydrogen\s+peroxide|turpentine|kerosene|methanol|disinfectant)",
        r"\b(?:bleach|chlorine\s+dioxide|mms|turpentine|kerosene)\b(?!\s+(?:poisoning|exposure|burns?))"
        r".{0,40}\b(?:cures?|to\s+treat|kills?\s+(?:the\s+)?(?:virus|cancer|parasites?)|detox)",
        r"\b(?:cure|treat)\s+(?:my\s+)?(?:cancer|diabetes|hiv|autism)\b.{0,40}\binstead\s+of\s+"
        r"(?:chemo\w*|insulin|medicine|medication|treatment|doctors?)\b",
        r"\b(?:stop|quit)\s+(?:taking\s+)?(?:my\s+)?(?:insulin|chemo\w*|hiv\s+meds)\b.{0,40}\b(?:cure|naturally|"
        r"instead)\b",
    ),
    "deception_or_records": (
        r"\b(?:falsify|fake|forge|alter|backdate)\w*\s+(?:\w+\s+){0,3}(?:medical\s+)?(?:records?|chart|notes?|"
        r"test\s+results?|doctor'?s\s+note|sick\s+note|lab\s+results?|vaccination\s+(?:card|record))",
        r"\bbill\w*\s+(?:\w+\s+){0,3}(?:insurance|medicare|medicaid)\s+for\s+(?:services?|visits?|procedures?)\s+"
        r"(?:not|never|that\s+were\s+not)",
        r"\b(?:pass|cheat|beat)\s+(?:a\s+|my\s+)?(?:drug\s+test|urine\s+test|tox\w*\s+screen)\b",
    ),
}

INJECTION_PATTERNS: tuple[str, ...] = (
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+|any\s+|the\s+|your\s+|previous\s+|prior\s+|"
    r"above\s+|earlier\s+)*(?:instructions?|rules?|prompts?|guidelines?|directions?|guardrails?|safety)",
    r"\b(?:you\s+are\s+now|from\s+now\s+on\s+you\s+are|pretend\s+(?:to\s+be|you\s+are)|act\s+as)\s+"
    r"(?:a\s+|an\s+)?(?:dan|unfiltered|unrestricted|jailbroken|evil|different|doctor\s+who\s+prescribes)",
    r"\b(?:reveal|print|show|repeat|output|tell\s+me)\s+(?:me\s+)?(?:your\s+|the\s+)?(?:system\s+prompt|"
    r"hidden\s+instructions?|initial\s+instructions?|developer\s+message)",
    r"\b(?:developer|admin|god|debug|jailbreak)\s+mode\b",
    r"\bdo\s+anything\s+now\b",
    r"</?(?:system|assistant|instructions?)>|\[/?(?:system|inst)\]|<\|im_start\|>",
    r"\bnew\s+(?:system\s+)?instructions?\s*:",
    # "Disregard everything you were told", "forget all of that", "ignore your programming".
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:everything|all\s+(?:of\s+)?(?:that|this|the\s+above|"
    r"you\s+(?:were|have\s+been)\s+told)|what\s+(?:you\s+(?:were|have\s+been)\s+told|i\s+said\s+before)|"
    r"(?:your|the)\s+(?:programming|training|system\s+prompt|restrictions|filters?|limits))",
    r"\b(?:no|without)\s+(?:restrictions|filters|rules|guardrails|limits)\s*(?:,|:|from\s+now|now)",
)

PASSAGE_INJECTION_PATTERNS: tuple[str, ...] = (
    *INJECTION_PATTERNS,
    r"\b(?:assistant|ai|chatbot|model|you)\s*(?:,|:)?\s*(?:must|should|shall)\s+(?:now\s+)?(?:tell|say|"
    r"recommend|respond|reply|answer|include|add|insert|write|visit|click|ask)",
    r"\bwhen\s+(?:answering|responding|you\s+answer|you\s+respond)\b",
    r"\b(?:in\s+your\s+(?:answer|response|reply)|respond\s+only\s+with|reply\s+with)\b",
    r"\b(?:click|visit|go\s+to)\s+(?:this\s+link|https?://|www\.)",
    r"\bencode\s+(?:your|the)\s+(?:answer|response)\b|\b(?:base64|rot13)\b",
    r"\breverse\s+(?:the\s+)?(?:text|order\s+of\s+(?:the\s+)?(?:words|characters))",
)

PERSONAL_DECISION_PATTERNS: dict[str, tuple[str, ...]] = {
    "personal_dose": (
        r"\bhow\s+(?:much|many)\s+(?:\w+\s+){0,4}(?:should|can|do|must)\s+(?:i|my\s+\w+|he|she|we)\s+(?:take|"
        r"give|inject|use|have)\b",
        r"\b(?:what|which)\s+(?:dose|dosage|amount)\s+(?:of\s+\w+\s+)?(?:should|can|do)\s+(?:i|my\s+\w+|he|she)\b",
        r"\b(?:my|his|her)\s+(?:dose|dosage)\b.{0,40}\?",
        r"\b(?:can|should|may)\s+i\s+(?:take|give|double|increase|decrease|split|crush)\b.{0,50}\b(?:mg|pills?|"
        r"tablets?|dose|units?|more)\b",
    ),
    "medication_change": (
        r"\b(?:should|can|may)\s+(?:i|my\s+\w+|he|she|we)\s+(?:stop|start|quit|switch|change|skip|come\s+off|"
        r"go\s+off|taper|increase|decrease|double|lower|raise)\b",
        r"\b(?:is\s+it\s+(?:ok|okay|safe|fine))\s+(?:for\s+me\s+)?to\s+(?:stop|skip|quit|double|mix|combine)\b",
    ),
    "self_diagnosis": (
        r"\bwhat\s+(?:do|does|might|could)\s+(?:i|my\s+\w+|he|she)\s+have\b",
        r"\b(?:do|does|could|might)\s+(?:i|my\s+\w+|he|she)\s+have\s+(?:a\s+|an\s+)?\w+",
        r"\bwhat(?:'s|\s+is)\s+wrong\s+with\s+(?:me|my|him|her)\b",
        r"\bdiagnose\s+(?:me|my|him|her)\b",
    ),
    "own_results": (
        r"\bmy\s+(?:\w+\s+){0,3}(?:results?|levels?|test|labs?|reading|numbers?|scan|x-?ray|mri|biopsy|a1c|"
        r"psa|cholesterol|blood\s+pressure)\b.{0,60}\b(?:mean|normal|bad|good|high|low|ok|okay|worried|"
        r"dangerous|\d)",
    ),
}

_HEALTH_WORDS = frozenset(
    """
    health medical medicine medicines medication medications meds drug drugs pill pills tablet
    doctor doctors nurse nurses pharmacist pharmacy hospital clinic symptom symptoms sign signs pain
    pains ache aches hurt hurts sick illness disease diseases condition conditions disorder syndrome
    infection infections virus viral bacteria treatment treatments treat therapy surgery diagnosis
    diagnosed test tests blood heart lung lungs liver kidney kidneys brain skin bone bones muscle
    muscles joint joints stomach belly diet eat eating food weight sleep tired fever cough cold flu
    allergy allergies rash dizzy headache migraine pregnant pregnancy baby babies child children kid
    kids vaccine vaccines shot shots dose doses side effects effect cancer diabetes asthma pressure
    cholesterol sugar insulin injury wound cut burn breathe breathing breath exercise mental anxiety
    depression stress smoking alcohol vitamin vitamins supplement supplements healthy care caregiver
    patient patients body eye eyes ear ears teeth tooth mouth throat nose back neck leg legs arm
    arms hand hands foot feet chest hip knee period menopause prostate bladder bowel sex std hiv
    genetic gene genes inherited risk prevent prevention recover recovery cure chronic acute
    emergency ambulance poison swallow swallowed lump swelling swollen itch itchy sore nausea vomit
    vomiting diarrhea constipation
    """.split()
)


@dataclass(frozen=True)
class PatternCheck:
    """Matches any of its patterns, grouped by category, and returns a fixed decision."""

    name: str
    groups: dict[str, tuple[str, ...]]
    action: str
    message: str = ""
    notice: str = ""
    deobfuscate: bool = False
    """Also read the message with leetspeak, spacing and encodings undone (see deobfuscate.py)."""
    _compiled: dict[str, tuple[re.Pattern[str], ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", {k: _compile(v) for k, v in self.groups.items()})

    def _matches_one(self, text: str) -> list[str]:
        normalised = _normalise(text)
        found = [k for k, patterns in self._compiled.items() if any(p.search(normalised) for p in patterns)]
        if "violence_or_crime" in found and FICTION.search(normalised):
            found.remove("violence_or_crime")
        return found

    def matches(self, text: str) -> list[str]:
        return self.matches_with_reading(text)[0]

    def matches_with_reading(self, text: str) -> tuple[list[str], bool]:
        """Categories found, and whether only a de-obfuscated reading showed them."""
        found = self._matches_one(text)
        if found or not self.deobfuscate:
            return found, False
        for reading in readings(text)[1:]:
            if found := self._matches_one(reading):
                return found, True
        return [], False

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        found, hidden = self.matches_with_reading(text)
        if not found:
            return GuardDecision(action="allow", redacted=text)
        how = " (in disguise: leetspeak, spacing or an encoding undone)" if hidden else ""
        return GuardDecision(
            action=self.action,  # type: ignore[arg-type]
            redacted=text,
            reasons=tuple(f"{self.name}: {k.replace('_', ' ')}{how}" for k in found),
            checks=(self.name,),
            message=self.message,
            notice=self.notice,
            category=f"{self.name}.{found[0]}",
            flags=tuple(found),
        )


def harmful_request_check(message: str) -> PatternCheck:
    return PatternCheck("harmful_request", HARMFUL_PATTERNS, "refuse", message=message, deobfuscate=True)


def injection_check(message: str) -> PatternCheck:
    return PatternCheck(
        "prompt_injection", {"instructions": INJECTION_PATTERNS}, "refuse", message=message, deobfuscate=True
    )


def personal_decision_check(notice: str) -> PatternCheck:
    return PatternCheck("personal_decision", PERSONAL_DECISION_PATTERNS, "allow", notice=notice)


def passage_injection_found(passage: str) -> bool:
    """True when a retrieved passage carries instructions (indirect injection): passages are data."""
    normalised = _normalise(passage)
    return any(p.search(normalised) for p in _PASSAGE_COMPILED)


_PASSAGE_COMPILED = _compile(PASSAGE_INJECTION_PATTERNS)


@dataclass(frozen=True)
class MessageSizeCheck:
    max_chars: int
    message: str
    name: str = "message_size"

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        if len(text) <= self.max_chars:
            return GuardDecision(action="allow", redacted=text)
        return GuardDecision(
            action="refuse",
            redacted=text[: self.max_chars],
            reasons=(f"message is {len(text)} characters, over the {self.max_chars} limit",),
            checks=(self.name,),
            message=self.message,
            category="message_size",
        )


_WORDS = re.compile(r"[a-z][a-z'-]+")
_STOP = frozenset(
    """the a an and or but of to in on for with at by from is are was were be been am i you he she it we they
    me my your his her our their this that these those what which who whom how why when where can could should
    would will do does did have has had not no yes please tell about some any more most very just so if then
    than there here get got make made know want need like""".split()
)


@dataclass(frozen=True)
class ScopeCheck:
    """Redirects clearly non-health requests; any health or knowledge-base word keeps it in scope, and
    so does the scope classifier's reading of a message without one (when configured)."""

    message: str
    vocabulary: frozenset[str] = frozenset()
    min_content_words: int = 3
    name: str = "scope"
    health_probability: Callable[[str], float] | None = None
    """The scope classifier (``checks.scope_model``): a message with no health word stays in scope
    when its probability of being about health reaches ``model_threshold``."""
    model_threshold: float = 0.5

    @staticmethod
    def content_words(text: str) -> list[str]:
        words = (w.removesuffix("'s").strip("'-") for w in _WORDS.findall(_normalise(text).lower()))
        return [w for w in words if w and w not in _STOP]

    def has_health_word(self, text: str) -> bool:
        return any(w in _HEALTH_WORDS or w in self.vocabulary for w in self.content_words(text))

    def health_model_says(self, text: str) -> bool:
        return self.health_probability is not None and self.health_probability(text) >= self.model_threshold

    def about_health(self, text: str) -> bool:
        """True when the text has a health or knowledge-base word, or the scope classifier reads it
        as about health."""
        return self.has_health_word(text) or self.health_model_says(text)

    def keeps(self, text: str) -> bool:
        """True when this check lets the message through (no history): a short message, or one
        about health. The harm head's stricter ``outside_scope`` threshold is for the rest only,
        which are redirected anyway; a short message without a health word is answered."""
        return len(self.content_words(text)) < self.min_content_words or self.about_health(text)

    def check(self, text: str, context: CheckContext) -> GuardDecision:
        short = len(self.content_words(text)) < self.min_content_words
        if short or context.history or self.has_health_word(text):
            return GuardDecision(action="allow", redacted=text)
        probability = None if self.health_probability is None else self.health_probability(text)
        if probability is not None and probability >= self.model_threshold:
            return GuardDecision(action="allow", redacted=text)
        model = "" if probability is None else f" (scope classifier p={probability:.2f})"
        return GuardDecision(
            action="refuse",
            redacted=text,
            reasons=(f"not a health question{model}",),
            checks=(self.name,),
            message=self.message,
            category="out_of_scope",
        )

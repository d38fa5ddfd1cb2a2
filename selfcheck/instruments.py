"""The PHQ-9 and GAD-7 questionnaires, their answers and their scoring.

Both were developed by Drs. Robert L. Spitzer, Janet B. W. Williams, Kurt
Kroenke and colleagues, with an educational grant from Pfizer Inc.; no
permission is required to reproduce, translate, display or distribute them.
The wording and the score bands below are the published ones.
"""

from dataclasses import dataclass

TIME_FRAME = (
    "Over the last 2 weeks, how often have you been bothered by any of the "
    "following problems?"
)
ANSWERS = [
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
]
CREDIT = (
    "The PHQ-9 and GAD-7 were developed by Drs. Robert L. Spitzer, Janet B. W. "
    "Williams, Kurt Kroenke and colleagues, with an educational grant from "
    "Pfizer Inc. No permission is required to reproduce, translate, display or "
    "distribute them."
)


@dataclass(frozen=True)
class Band:
    """A range of total scores and what it means, in plain words."""

    low: int
    high: int
    label: str
    meaning: str


@dataclass(frozen=True)
class Instrument:
    """One questionnaire: its items and how its total score reads."""

    code: str
    name: str
    about: str
    items: tuple[str, ...]
    bands: tuple[Band, ...]

    @property
    def max_score(self) -> int:
        return 3 * len(self.items)

    def band(self, total: int) -> Band:
        if not 0 <= total <= self.max_score:
            raise ValueError(f"{self.name} scores run from 0 to {self.max_score}")
        return next(band for band in self.bands if band.low <= total <= band.high)


PHQ9 = Instrument(
    code="phq9",
    name="PHQ-9",
    about="nine questions about depression",
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself — or that you are a failure or have let "
        "yourself or your family down",
        "Trouble concentrating on things, such as reading the newspaper or "
        "watching television",
        "Moving or speaking so slowly that other people could have noticed? Or "
        "the opposite — being so fidgety or restless that you have been moving "
        "around a lot more than usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    bands=(
        Band(0, 4, "minimal", "Few or no signs of depression right now."),
        Band(5, 9, "mild", "Some signs of depression that are worth watching."),
        Band(
            10,
            14,
            "moderate",
            "Signs of depression that are worth talking over with a clinician.",
        ),
        Band(
            15,
            19,
            "moderately severe",
            "Signs of depression that are weighing on you; a clinician can help "
            "you look at treatment.",
        ),
        Band(
            20,
            27,
            "severe",
            "Strong signs of depression; please talk with a clinician soon.",
        ),
    ),
)

GAD7 = Instrument(
    code="gad7",
    name="GAD-7",
    about="seven questions about anxiety",
    items=(
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ),
    bands=(
        Band(0, 4, "minimal", "Few or no signs of anxiety right now."),
        Band(5, 9, "mild", "Some signs of anxiety that are worth watching."),
        Band(
            10,
            14,
            "moderate",
            "Signs of anxiety that are worth talking over with a clinician.",
        ),
        Band(
            15,
            21,
            "severe",
            "Strong signs of anxiety; please talk with a clinician soon.",
        ),
    ),
)

INSTRUMENTS = {PHQ9.code: PHQ9, GAD7.code: GAD7}
CHOICES = {"phq9": [PHQ9], "gad7": [GAD7], "both": [PHQ9, GAD7]}
# PHQ-9 item 9 (thoughts of being better off dead or of self-harm), counted
# from zero.
PHQ9_SELF_HARM_ITEM = 8


@dataclass(frozen=True)
class Score:
    """One instrument's result."""

    instrument: Instrument
    total: int

    @property
    def band(self) -> Band:
        return self.instrument.band(self.total)


def score(instrument: Instrument, answers: list[int]) -> Score:
    """The total of one questionnaire's answers (each 0 to 3)."""
    if len(answers) != len(instrument.items) or any(
        answer not in range(4) for answer in answers
    ):
        raise ValueError(f"{instrument.name} needs one answer from 0 to 3 per item")
    return Score(instrument, sum(answers))


def needs_crisis_help(code: str, answers: list[int]) -> bool:
    """Any answer but "not at all" on PHQ-9 item 9 puts crisis help first."""
    return code == PHQ9.code and answers[PHQ9_SELF_HARM_ITEM] > 0

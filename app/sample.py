"""The sample workshop that ships as the embedded default: Tankesmedja Fyrbodal 2020.

Ten Fyrbodal municipalities plus their regional federation, three themed sessions and the
five-phase program of the real series (see ``shared/background``). The texts are the
workshop's own content, in Swedish as the real series ran it.
"""

from __future__ import annotations

from app.model import Phase, PhaseKind, SurveyItem, SurveyKind

SERIES_NAME = "Tankesmedja Fyrbodal 2020"

ORGANISATIONS: tuple[str, ...] = (
    "Bengtsfors",
    "Dals-Ed",
    "Lysekil",
    "Mellerud",
    "Munkedal",
    "Tanum",
    "Trollhättan",
    "Uddevalla",
    "Vänersborg",
    "Åmål",
    "Fyrbodals kommunalförbund",
)

# How many people each organisation sent to a full session of the real series (88 in all);
# benchmarks, tests and rehearsals use it to make realistic rooms.
FYRBODAL_SIZES: dict[str, int] = {
    "Uddevalla": 14,
    "Trollhättan": 13,
    "Vänersborg": 11,
    "Lysekil": 7,
    "Åmål": 7,
    "Fyrbodals kommunalförbund": 7,
    "Munkedal": 6,
    "Tanum": 6,
    "Mellerud": 6,
    "Bengtsfors": 6,
    "Dals-Ed": 5,
}

# (theme, subtitle) for each of the three sessions (träffar).
THEMES: tuple[tuple[str, str], ...] = (
    ("UTBLICK", "Digitalisering & demokrati"),
    ("INBLICK", "Digitalisering & arbetssättsinnovation"),
    ("TILLSAMMANS", "Digitalisering & samverkan"),
)

GUIDING_QUESTIONS: tuple[str, ...] = (
    "Hur kan vi tillsammans leda en digital smartare vardag och transformation?",
    "Vilka grundläggande förutsättningar krävs?",
    "Kan vi samverka med andra för att göra varandra bättre?",
)


def sample_program() -> tuple[Phase, ...]:
    """Return the five-phase program every sample session starts with."""
    return (
        Phase(PhaseKind.INSPIRATION, "Inspiration", 45, "Gemensam föreläsning."),
        Phase(PhaseKind.MIXED_GROUPS, "Mixade grupper", 40, GUIDING_QUESTIONS[0]),
        Phase(
            PhaseKind.MUNICIPALITY,
            "Kommunvis reflektion",
            30,
            "Vad betyder det här för oss? " + GUIDING_QUESTIONS[1],
        ),
        Phase(PhaseKind.SURVEY, "Enkät", 10, ""),
        Phase(PhaseKind.CLOSING, "Avslutning", 10, GUIDING_QUESTIONS[2]),
    )


def sample_survey() -> tuple[SurveyItem, ...]:
    """Return the survey every sample session starts with (Likert 1–5 and open questions)."""
    likert = SurveyKind.LIKERT
    return (
        SurveyItem(
            "perspective", likert, "Träffen gav mig nya perspektiv på digital transformation."
        ),
        SurveyItem(
            "mixed_dialogue", likert, "Samtalen i de mixade grupperna var värdefulla för mig."
        ),
        SurveyItem("own_dialogue", likert, "Samtalet inom min egen organisation var värdefullt."),
        SurveyItem("next_step", likert, "Jag vet hur jag tar resultatet vidare på hemmaplan."),
        SurveyItem("takeaway", SurveyKind.OPEN, "Vad tar du med dig från dagens träff?"),
        SurveyItem("wish", SurveyKind.OPEN, "Vad vill du att nästa träff tar upp?"),
    )

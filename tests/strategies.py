"""Hypothesis strategies: random valid rulesets for the `sciatica` model, and patients to match.

A generated ruleset uses every construct of the language: red flags, rules
on ids, tags, ladders, mixed lists, `except` and every exercise, all verdicts
and clauses, ladders, parameters, patient and session defines, session
quantifiers over sessions and days with every scope, and scores (negative
points too), `count of` and assessments that rules read. It is
rendered to text as a list of declarations (so tests can shuffle them) and
records what the safety properties need: the red-flag inputs that appear
only un-negated in red-flag conditions (their polarity), and the exercises.

Red-flag conditions are drawn from yes/no answers that the patient strategy
makes true about a third of the time, so red flags fire, clear and stay
unknown often enough for every property's premise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

AS_OF = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)

# Red-flag answers the generator may use un-negated (positive) or negated.
FLAG_FIELDS = (
    "fever",
    "foot_drop",
    "saddle_anaesthesia",
    "recent_trauma",
    "weakness_worsening",
    "sexual_dysfunction",
    "unexplained_weight_loss",
    "gait_disturbance",
)
SYMPTOM_BOOLS = ("acute_flare", "numbness", "night_pain", "bilateral")
PAIN_FIELDS = ("back_pain", "leg_pain")
SESSION_ATOMS = (
    "pain_during > {n}",
    "next_morning_pain >= pain_before + 2",
    "shooting_pain",
    "not completed",
    "extent_during > extent_before",
    "reps >= {n}",
    "hold_seconds >= {n} s",
    "range is full",
    "pain_during > p_pain",
)
PATIENT_ATOMS = (
    "{pain} > {n}",
    "{pain} between {lo} and {hi}",
    "{bool}",
    "not {bool}",
    "radiating_pain >= thigh",
    "side in {{left, both}}",
    "weakness includes any of {{dorsiflexion, plantarflexion}}",
    "weakness is empty",
    "weakest_grade is known",
    "age >= 50 years",
    "age < 16",
    "straight_leg_raise is positive",
    "screened_at < now - 24 hours",
    "{pain} > p_pain",
    "p_flag",
    "not p_flag",
)
HISTORY = (
    "the last session{scope} had {s}",
    "any of the last {n} sessions{scope} had {s}",
    "{k} of the last {n2} sessions{scope} had {s}",
    "every one of the last {n} sessions{scope} had {s}",
    "any session{scope} within 24 hours had {s}",
    "no session{scope} within p_days had {s}",
    "the last {ex} session had {s}",
    "any of the last {n} days{scope} had {s}",
    "{k} of the last {n2} days{scope} had {s}",
    "every one of the last {n} days{scope} had {s}",
)
SCOPES = ("", " of {ex}", " of any exercise", " tagged {tag}")
LADDER_SCOPES = (" on this ladder", " on a lower rung", " on the rung below")
OFFSETS = (0, 0, 1, -5, 9, 14, -12)
"""UTC offsets of session times, in hours: a session's day is its date in its own offset."""
VERDICTS = ("stop", "avoid", "check", "regress", "modify", "allow", "progress")
UNKNOWN_VERDICTS = ("check", "stop", "avoid", "modify")
TAGS = ("ta", "tb", "tc")


@dataclass(frozen=True)
class GeneratedRuleset:
    """A random ruleset: its declarations as text blocks, and what the properties need.

    Attributes:
        header: the header lines.
        blocks: one text block per declaration (in any order they compile the same).
        exercises: the exercise ids.
        positive_flags: red-flag answers that appear only un-negated in red-flag conditions.
    """

    header: str
    blocks: tuple[str, ...]
    exercises: tuple[str, ...]
    positive_flags: tuple[str, ...]

    def text(self, blocks: tuple[str, ...] | None = None) -> str:
        """The whole ruleset, with the blocks in the given order (default: as made)."""
        return self.header + "\n".join(blocks if blocks is not None else self.blocks) + "\n"


def _join(draw: st.DrawFn, parts: list[str]) -> str:
    out = parts[0]
    for part in parts[1:]:
        out += f" {draw(st.sampled_from(['and', 'or']))} {part}"
    return out


@st.composite
def _patient_atom(draw: st.DrawFn, phrases: list[str]) -> str:
    if phrases and draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(phrases))
    lo = draw(st.integers(0, 9))
    return draw(st.sampled_from(PATIENT_ATOMS)).format(
        pain=draw(st.sampled_from(PAIN_FIELDS)),
        n=draw(st.integers(0, 9)),
        lo=lo,
        hi=draw(st.integers(lo, 10)),
        bool=draw(st.sampled_from(SYMPTOM_BOOLS)),
    )


@st.composite
def _session_condition(draw: st.DrawFn, session_phrases: list[str]) -> str:
    if session_phrases and draw(st.booleans()):
        return draw(st.sampled_from(session_phrases))
    atom = draw(st.sampled_from(SESSION_ATOMS)).format(n=draw(st.integers(1, 9)))
    return f"({atom})" if " " in atom and draw(st.booleans()) else atom


@st.composite
def _history(
    draw: st.DrawFn, session_phrases: list[str], exercises: tuple[str, ...], tags: list[str], on_ladder: bool
) -> str:
    """A session form; a ladder scope only where every target is on the ladder (`on_ladder`)."""
    n = draw(st.integers(1, 4))
    scopes = SCOPES[:3] + (SCOPES[3:] if tags else ()) + (LADDER_SCOPES if on_ladder else ())
    return draw(st.sampled_from(HISTORY)).format(
        n=n,
        n2=n,
        k=draw(st.integers(1, n)),
        s=draw(_session_condition(session_phrases)),
        ex=draw(st.sampled_from(exercises)),
        scope=draw(st.sampled_from(scopes)).format(
            ex=draw(st.sampled_from(exercises)), tag=draw(st.sampled_from(tags)) if tags else ""
        ),
    )


@st.composite
def _condition(
    draw: st.DrawFn,
    phrases: list[str],
    session_phrases: list[str],
    exercises: tuple[str, ...],
    tags: list[str] | None = None,
    on_ladder: bool = False,
) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 3)) == 0:
            parts.append(draw(_history(session_phrases, exercises, tags or [], on_ladder)))
        else:
            parts.append(draw(_patient_atom(phrases)))
    text = _join(draw, parts)
    return f"not ({text})" if draw(st.integers(0, 7)) == 0 else text


@st.composite
def rulesets(draw: st.DrawFn) -> GeneratedRuleset:
    """A random valid ruleset for the `sciatica` model."""
    count = draw(st.integers(2, 5))
    exercises = tuple(f"e{i}" for i in range(count))
    blocks: list[str] = [
        'source src_a "Source A"',
        'source src_b "Source B"',
        "parameter p_pain = 3 between 0 and 10",
        "parameter p_days = 7 days between 1 days and 14 days",
        f'parameter p_flag "A yes/no setting" = {draw(st.sampled_from(["yes", "no"]))}',
    ]
    tags: dict[str, list[str]] = {}
    for ex in exercises:
        chosen = draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))
        tags[ex] = chosen
        tagged = f" tagged {', '.join(chosen)}" if chosen else ""
        dose = draw(
            st.sampled_from(
                [
                    "",
                    " dose reps 10",
                    " dose hold 6 to 8 s, reps 10, daily 3 times",
                    " dose range 2 to 3 inches, reps 5",
                    " dose rest 30 s, sets 2",
                ]
            )
        )
        blocks.append(f'exercise {ex} "Exercise {ex}"{tagged}{dose}')
    ladder: list[str] = []
    if count >= 3 and draw(st.booleans()):
        ladder = list(exercises[: draw(st.integers(2, count))])
        blocks.append(f"ladder steps: {', '.join(ladder)}")
    phrases = [f"pw {name}" for name in ("alpha", "beta")[: draw(st.integers(0, 2))]]
    used_tags = sorted({t for ts in tags.values() for t in ts})
    for phrase in phrases:  # no ladder scope: a phrase may be used by a rule about any exercise
        blocks.append(f"define {phrase}: {draw(_condition([], [], exercises, used_tags))}")
    session_phrases = [f"sw {name}" for name in ("alpha", "beta")[: draw(st.integers(0, 2))]]
    for phrase in session_phrases:
        blocks.append(
            f"define {phrase}: {draw(st.sampled_from(SESSION_ATOMS)).format(n=draw(st.integers(1, 9)))}"
        )
    scored = draw(_scored(blocks, phrases, exercises, used_tags))
    # Red flags: positive answers joined by or/and; some flags also use a negated answer.
    negated: set[str] = set()
    used: set[str] = set()
    for i in range(draw(st.sampled_from([0, 1, 1, 2, 2, 3]))):
        atoms = draw(st.lists(st.sampled_from(FLAG_FIELDS), min_size=1, max_size=3, unique=True))
        used.update(atoms)
        condition = _join(draw, atoms)
        if draw(st.integers(0, 4)) == 0:
            extra = draw(st.sampled_from(FLAG_FIELDS))
            negated.add(extra)
            condition = f"({condition}) and not {extra}"
        care = draw(st.sampled_from(["", "\n  care emergency", "\n  care same_day", "\n  care within_days"]))
        blocks.append(
            f'red flag rf{i} "Red flag {i}":\n  urgent if {condition}{care}\n  say "Get care {i}."\n  cite src_a'
        )
    for i in range(draw(st.integers(1, 6))):
        blocks.append(draw(_rule(i, exercises, tags, ladder, phrases, session_phrases, scored)))
    otherwise = draw(st.sampled_from(["otherwise allow", "otherwise check", "otherwise avoid", ""]))
    if otherwise:
        blocks.append(otherwise)
    # The header's `unknown` (which a rule's own `when unknown`, `ignore` included, overrides)
    # and a safety net (shown whatever the triage) now and then.
    unknown = draw(st.sampled_from(["", "", "  unknown check\n", "  unknown avoid\n"]))
    net = draw(st.sampled_from(["", '  safety net "Stop and get help if both legs go weak."\n']))
    header = f"ruleset generated\n  version 1.0.0\n  status draft\n  model sciatica\n{unknown}{net}\n"
    return GeneratedRuleset(header, tuple(blocks), exercises, tuple(sorted(used - negated)))


@st.composite
def _scored(
    draw: st.DrawFn, blocks: list[str], phrases: list[str], exercises: tuple[str, ...], tags: list[str]
) -> list[str]:
    """Scores and an assessment appended to `blocks`; the conditions a rule may use them in."""
    uses = []
    names = []
    for i in range(draw(st.integers(0, 2))):
        items = [
            f"  {draw(st.integers(-2, 3))} if {draw(_condition(phrases, [], exercises, tags))}"
            for _ in range(draw(st.integers(1, 4)))
        ]
        blocks.append(f'score sc{i} "Score {i}":\n' + "\n".join(items))
        names.append(f"sc{i}")
        k = draw(st.integers(-1, 4))
        uses += [f"sc{i} >= {k}", f"sc{i} between {k} and {k + 1}", f"sc{i} != {k}", f"sc{i} < p_pain"]
    if names and draw(st.booleans()):
        uses.append(f"{names[0]} > {names[-1]}")
    if draw(st.booleans()):
        values = ["va", "vb", "vc"]
        branches = []
        for _ in range(draw(st.integers(1, 4))):
            test = draw(st.sampled_from(uses)) if uses and draw(st.booleans()) else None
            test = test or draw(_condition(phrases, [], exercises, tags))
            branches.append(f'  {draw(st.sampled_from(values))} if {test}\n    say "Assessed."')
        if draw(st.booleans()):
            branches.append(f"  otherwise {draw(st.sampled_from(values))}")
        blocks.append('assess as0 "Assessment":\n' + "\n".join(branches) + "\n  cite src_b")
        used = sorted({b.split()[0] if not b.startswith("  otherwise") else b.split()[1] for b in branches})
        uses += [
            f"as0 is {used[0]}",
            f"as0 is not {used[-1]}",
            f"as0 in {{{', '.join(used)}}}",
            "as0 is known",
        ]
    atom = draw(_patient_atom(phrases))
    uses.append(f"count of ({atom}, {draw(_patient_atom(phrases))}, numbness) >= {draw(st.integers(1, 3))}")
    return uses


@st.composite
def _rule(
    draw: st.DrawFn,
    index: int,
    exercises: tuple[str, ...],
    tags: dict[str, list[str]],
    ladder: list[str],
    phrases: list[str],
    session_phrases: list[str],
    scored: list[str] | None = None,
) -> str:
    used_tags = sorted({t for ts in tags.values() for t in ts})
    targets, head = draw(_targets(exercises, tags, ladder))
    verdict = draw(st.sampled_from(VERDICTS))
    if verdict in ("progress", "regress"):
        step = 1 if verdict == "progress" else -1
        movable = all(t in ladder and 0 <= ladder.index(t) + step < len(ladder) for t in targets)
        if not (movable and draw(st.booleans())):
            verdict += f" to {draw(st.sampled_from(exercises))}"
    on_ladder = bool(ladder) and all(t in ladder for t in targets)
    condition = draw(_condition(phrases, session_phrases, exercises, used_tags, on_ladder))
    if scored and draw(st.booleans()):
        condition = f"({condition}) {draw(st.sampled_from(['and', 'or']))} {draw(st.sampled_from(scored))}"
    clauses = []
    word = verdict.split()[0]
    if word in ("stop", "avoid", "regress") and draw(st.booleans()):
        clauses.append(
            "instead "
            + ", ".join(draw(st.lists(st.sampled_from(exercises), min_size=1, max_size=3, unique=True)))
        )
    if word == "modify" and draw(st.booleans()):
        clauses.append(
            draw(
                st.sampled_from(
                    [
                        "dose reps 5",
                        "dose reps 3, hold 5 s",
                        "dose daily 1 times, rest 60 s",
                        "dose range partial",
                    ]
                )
            )
        )
    if draw(st.booleans()):
        clauses.append(f'say "Rule {index} says so."')
    if draw(st.booleans()):
        clauses.append(f'assumption "Rule {index} rests on this."')
    if draw(st.booleans()):
        # `ignore` fits every verdict; a verdict never fits allow and progress (CR405).
        choices = ["ignore", *(UNKNOWN_VERDICTS if word not in ("allow", "progress") else ())]
        chosen = draw(st.sampled_from(choices))
        own_words = chosen != "ignore" and draw(st.booleans())
        clauses.append(
            f"when unknown {chosen}" + (f'\n  say "Rule {index}: answer first."' if own_words else "")
        )
    if draw(st.booleans()):
        clauses.append(f'note "Rule {index} note."')
    if draw(st.booleans()):
        clauses.append("cite src_b")
    body = "".join(f"\n  {c}" for c in clauses)
    return f'rule r{index} "Rule {index}" for {head}:\n  {verdict} if {condition}{body}'


@st.composite
def _targets(
    draw: st.DrawFn, exercises: tuple[str, ...], tags: dict[str, list[str]], ladder: list[str]
) -> tuple[list[str], str]:
    """A target list (ids, tags, the ladder, above a rung, every, except) and what it resolves to."""
    used_tags = sorted({t for ts in tags.values() for t in ts})
    kinds = (
        ["ids", "every", "except"] + (["tags"] if used_tags else []) + (["ladder", "mixed"] if ladder else [])
    )
    kind = draw(st.sampled_from(kinds))
    if kind == "tags":
        chosen = draw(st.lists(st.sampled_from(used_tags), min_size=1, max_size=2, unique=True))
        return [e for e in exercises if set(tags[e]) & set(chosen)], "tagged " + ", ".join(chosen)
    if kind == "ladder":
        below = draw(st.integers(-1, len(ladder) - 2))  # -1: the whole ladder
        if below < 0:
            return list(ladder), "ladder steps"
        return ladder[below + 1 :], f"ladder steps above {ladder[below]}"
    if kind == "mixed":  # ids first: the names after `tagged` are tags up to `ladder`
        ids = draw(st.lists(st.sampled_from(exercises), max_size=2, unique=True))
        chosen = draw(st.lists(st.sampled_from(used_tags), max_size=1)) if used_tags else []
        head = ", ".join([*ids, *([f"tagged {chosen[0]}"] if chosen else []), "ladder steps"])
        tagged = [e for e in exercises if set(tags[e]) & set(chosen)]
        return list(dict.fromkeys([*ids, *tagged, *ladder])), head
    if kind == "except":
        left_out = draw(
            st.lists(st.sampled_from(exercises), min_size=1, max_size=len(exercises) - 1, unique=True)
        )
        return [e for e in exercises if e not in left_out], "every exercise except " + ", ".join(left_out)
    if kind == "ids":
        targets = draw(st.lists(st.sampled_from(exercises), min_size=1, max_size=3, unique=True))
        return targets, ", ".join(targets)
    return list(exercises), "every exercise"


# ---------------------------------------------------------------- patients

_TRISTATE = st.sampled_from([True, False, False, None])
FLAG_ANSWERS = st.sampled_from([True, True, False, False, None])
"""Red-flag answers: yes two times in five, unknown one in five."""
NO_OR_UNKNOWN = st.sampled_from([False, False, False, None])
"""Red-flag answers that never fire a flag: unknown a quarter of the time."""


@st.composite
def sciatica_patients(
    draw: st.DrawFn,
    exercises: tuple[str, ...],
    max_sessions: int = 5,
    flags: st.SearchStrategy[Any] = FLAG_ANSWERS,
) -> dict[str, Any]:
    """A sciatica patient whose red-flag answers (drawn from `flags`) are often yes, no or unknown."""
    pains = st.one_of(st.none(), st.integers(0, 10))
    patient: dict[str, Any] = {
        "age": draw(st.one_of(st.none(), st.integers(10, 80))),
        "pregnant": draw(_TRISTATE),
        "new_episode": draw(_TRISTATE),
        "diagnosis_confirmed": draw(_TRISTATE),
        "symptoms": {
            "back_pain": draw(pains),
            "leg_pain": draw(pains),
            "radiating_pain": draw(st.sampled_from([None, "none", "buttock", "thigh", "below_knee", "foot"])),
            "side": draw(st.sampled_from([None, "left", "right", "both"])),
            **{name: draw(_TRISTATE) for name in SYMPTOM_BOOLS},
        },
        "red_flags": {
            "screened_at": draw(st.sampled_from([None, "2026-11-21T07:00:00Z", "2026-11-19T07:00:00Z"])),
            **{name: draw(flags) for name in FLAG_FIELDS},
        },
        "exam": {
            "straight_leg_raise": draw(st.sampled_from([None, "positive", "negative"])),
            "weakness": draw(
                st.one_of(
                    st.none(),
                    st.lists(st.sampled_from(["dorsiflexion", "plantarflexion", "eversion"]), unique=True),
                )
            ),
            "weakest_grade": draw(st.one_of(st.none(), st.integers(0, 5))),
        },
    }
    sessions = []
    for hours in sorted(draw(st.lists(st.integers(0, 300), max_size=max_sessions, unique=True))):
        offset = dt.timezone(dt.timedelta(hours=draw(st.sampled_from(OFFSETS))))
        sessions.append(
            {
                "exercise": draw(st.sampled_from(exercises)),
                "at": (AS_OF - dt.timedelta(hours=hours)).astimezone(offset).isoformat(),
                "pain_before": draw(pains),
                "pain_during": draw(pains),
                "next_morning_pain": draw(pains),
                "extent_before": draw(st.sampled_from([None, "buttock", "thigh"])),
                "extent_during": draw(st.sampled_from([None, "buttock", "thigh", "below_knee"])),
                "shooting_pain": draw(_TRISTATE),
                "completed": draw(_TRISTATE),
                "reps": draw(st.one_of(st.none(), st.integers(0, 25))),
                "hold_seconds": draw(st.one_of(st.none(), st.integers(0, 15))),
                "range": draw(st.sampled_from([None, "isometric", "partial", "full"])),
            }
        )
    patient["sessions"] = sessions
    return patient

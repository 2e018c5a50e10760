"""Decision, missing fields: why an outcome was unknown, asked only when it can matter.

A decision lists the fields whose answers would settle it (language.md
section 5). Each red flag and rule has a generated function that gives them
(`engine.compile_missing`), exactly as the interpreter (`engine.interpret`)
would; a condition it does not compile is walked by the interpreter. They
are asked only where the answer can change what the decision says: a
condition can miss only the unknown fields it reads, so once all of those
are in the union it adds nothing; and a rule that does not read its target's
own sessions is asked once for every exercise.
"""

from __future__ import annotations

import functools

from clinrules.engine import interpret, runtime
from clinrules.engine.evaluator import Evaluator, Inputs

__all__ = ["Missing"]


class Missing:
    """The missing fields of one evaluation's red flags and rules, each worked out once."""

    def __init__(self, evaluator: Evaluator, inputs: Inputs) -> None:
        self.ev = evaluator
        self.program = evaluator.program
        self.inputs = inputs
        self._missing: dict[tuple[int, str | None], frozenset[str]] = {}
        self._envs: dict[str | None, interpret.Env] = {}
        self._unknown: dict[str, bool] = {}  # field path -> whether it is unknown in these inputs

    @functools.cached_property
    def env(self) -> interpret.Env:
        """The interpreter's view of the inputs, made only when an explanation is needed."""
        patient, params, now, sessions, by_ex = self.inputs
        named = dict(zip(self.program.parameters, params, strict=True))
        return interpret.Env(
            self.program.schema, patient, named, now, sessions, by_ex, log=sessions, program=self.program
        )

    def may_add(self, fields: frozenset[str], missing: set[str]) -> bool:
        """Whether a condition reading `fields` can miss one that is not in `missing` yet.

        A condition can miss only the fields it reads that are unknown here: once
        all of them are missing, asking the interpreter which were adds nothing.
        """
        unknown = self._unknown
        for path in fields:
            if path in missing:
                continue
            found = unknown.get(path)
            if found is None:
                found = unknown[path] = self.ev.field_unknown(self.inputs, path)
            if found:
                return True
        return False

    @functools.cached_property
    def picks(self) -> runtime.Picks:
        """The scopes' selections of these inputs, shared by every missed function called."""
        return runtime.Picks(self.inputs[3])

    def flag(self, index: int) -> frozenset[str]:
        """The fields whose absence left red flag `index` unknown."""
        key = (-1 - index, None)
        found = self._missing.get(key)
        if found is None:
            missed = self.ev.compiled.missed_flags[index]
            if missed is None:  # a condition left to the interpreter (engine/compile_missing.py)
                found = interpret.condition(self.program.red_flags[index].condition, self.env)[1]
            else:
                patient, params, now, sessions, by_ex = self.inputs
                found = missed(patient, params, now, sessions, by_ex, None, self.picks)
            self._missing[key] = found
        return found

    def rule(self, index: int, ex: str) -> frozenset[str]:
        """The fields whose absence left rule `index` unknown for exercise `ex`."""
        # A rule that does not read its target's own sessions (or its ladder's) is
        # evaluated once for every exercise, as the compiled code runs it: so is
        # its missing set, in one env per target whose phrases every rule shares.
        target = ex if self.ev.compiled.own_sessions[index] else None
        key = (index, target)
        found = self._missing.get(key)
        if found is None:
            missed = self.ev.compiled.missed_rules[index]
            if missed is not None:
                patient, params, now, _sessions, by_ex = self.inputs
                own = () if target is None else by_ex.get(target, ())
                found = missed(patient, params, now, own, by_ex, target, self.picks)
            else:  # a condition left to the interpreter (engine/compile_missing.py)
                env = self._envs.get(target)
                if env is None:
                    env = self._envs[target] = self.env_for(target)
                found = interpret.condition(self.program.rules[index].condition, env)[1]
            self._missing[key] = found
        return found

    def env_for(self, ex: str | None, reading: interpret.Reading | None = None) -> interpret.Env:
        """The interpreter's view for a rule about `ex` (None: a rule that reads no target's sessions)."""
        e = self.env
        return interpret.Env(
            e.schema,
            e.patient,
            e.params,
            e.now,
            () if ex is None else e.by_exercise.get(ex, ()),
            e.by_exercise,
            reading,
            target=ex,  # a scope reads sessions relative to it (language-2.md section 1)
            log=e.log,
            program=e.program,
        )

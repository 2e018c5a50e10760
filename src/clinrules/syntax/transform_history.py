"""Transform stage, base: the helpers of `transform.ToAst`, session forms and target lists.

Kept apart from `transform` for the size of the module; `ToAst` inherits
everything here. Lark applies `v_args` only to the methods a class defines
itself, so this class carries its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from lark import Token
from lark.tree import Meta
from lark.visitors import Transformer_NonRecursive, v_args

from clinrules.base.diagnostics import Diagnostic, make
from clinrules.base.limits import MAX_NESTING, MAX_NUMBER_DIGITS
from clinrules.base.span import Span
from clinrules.syntax import ast

_N = TypeVar("_N", bound=ast.Condition | ast.Arithmetic | ast.CountOf)
_SCOPE = tuple[ast.Ident | None, ast.SessionScope | None]
"""What `sessions_of` and `days_of` give: the prefix exercise and the scope."""


def span_of(item: Token | Meta) -> Span:
    """The span of a Lark token or of a tree's meta."""
    return Span(
        item.line or 1,
        item.column or 1,
        item.end_line or item.line or 1,
        item.end_column or item.column or 1,
        item.start_pos or 0,
        item.end_pos or 0,
    )


@v_args(meta=True, inline=True)
class HistoryToAst(Transformer_NonRecursive[Token, Any]):
    """The helpers of the transform, and the session-history and target forms."""

    def __init__(self, file: str, text: str) -> None:
        super().__init__()
        self.file = file
        self.text = text
        self.diagnostics: list[Diagnostic] = []
        self._depth: dict[int, int] = {}

    # ------------------------------------------------------------ helpers

    def _error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(make(code, message, self.file, span, hint))

    def _ident(self, token: Token) -> ast.Ident:
        if "." in token:
            self._error(
                "CR106",
                f"'{token}' is a dotted path, but a plain id is expected here",
                span_of(token),
                "ids are single words of letters, digits and underscores",
            )
        return ast.Ident(str(token), span_of(token))

    def _idents(self, names: Sequence[Token]) -> tuple[ast.Ident, ...]:
        return tuple(self._ident(n) for n in names)

    def _nest(self, node: _N, *children: object) -> _N:
        depth = 1 + max((self._depth.get(id(c), 0) for c in children), default=0)
        self._depth[id(node)] = depth
        if depth == MAX_NESTING + 1:
            self._error(
                "CR004",
                f"this condition is nested more than {MAX_NESTING} levels deep (or has as many terms in one sum)",
                node.span,
                "split it into named parts with 'define'",
            )
        return node

    def _whole(self, token: Token, what: str) -> int:
        digits = self._digits(token)
        if digits is None:
            return 1
        if "." in token:
            self._error("CR107", f"{what} must be a whole number, not {token}", span_of(token))
            return int(float(digits))
        return int(digits)

    def _digits(self, token: Token) -> str | None:
        """The number's text without zeros in front, or None for one too long to be meant (CR112).

        Python refuses `int()` of 4,301 digits (zeros in front count) and reads
        a long decimal as infinity; 15 digits also keep every number exact.
        """
        whole, _, fraction = str(token).partition(".")
        count = len(whole.lstrip("0")) + len(fraction)
        if count <= MAX_NUMBER_DIGITS:
            return "0" + str(token).lstrip("0")
        message = f"this number has {count:,} digits; a number in a rule has at most {MAX_NUMBER_DIGITS}"
        hint = "check the number: no threshold, count or duration needs more digits"
        self._error("CR112", message, span_of(token), hint)
        return None

    def _ref(self, words: Sequence[Token], span: Span) -> ast.Ref:
        if len(words) == 1 and "." in words[0]:
            return ast.Ref(str(words[0]), ast.RefKind.PATH, span)
        for word in words:
            if "." in word:
                self._ident(word)
        return ast.Ref(" ".join(words), ast.RefKind.WORDS, span)

    # ------------------------------------------------------------ targets

    def targets_listed(self, meta: Meta, *items: Any) -> ast.Targets:
        listed, excluded = _split_except(items)
        return ast.Targets(False, _tags_run_on(listed), excluded, span_of(meta))

    def target_every(self, meta: Meta, _every: Token, *rest: Any) -> ast.Targets:
        _, excluded = _split_except(rest)
        return ast.Targets(True, (), excluded, span_of(meta))

    def target_except(self, meta: Meta, *items: ast.TargetItem) -> tuple[str, tuple[ast.TargetItem, ...]]:
        return ("except", _tags_run_on(items))

    def target_name(self, meta: Meta, name: Token) -> ast.TargetItem:
        return ast.TargetItem(ast.TargetKind.EXERCISE, self._ident(name), None, span_of(meta))

    def target_tagged(self, meta: Meta, name: Token) -> ast.TargetItem:
        return ast.TargetItem(ast.TargetKind.TAG, self._ident(name), None, span_of(meta))

    def target_ladder(self, meta: Meta, name: Token, above: Token | None = None) -> ast.TargetItem:
        below = self._ident(above) if above is not None else None
        return ast.TargetItem(ast.TargetKind.LADDER, self._ident(name), below, span_of(meta))

    # ------------------------------------------------------------ session history

    def _history(
        self,
        meta: Meta,
        quantifier: ast.Quantifier,
        counts: tuple[int | None, int | None],
        window: ast.Expr | None,
        of: _SCOPE,
        condition: ast.Condition,
        days: bool = False,
    ) -> ast.History:
        exercise, scope = of
        count, last = counts
        node = ast.History(quantifier, count, last, window, exercise, condition, span_of(meta), scope, days)
        return self._nest(node, condition)

    def _n(self, token: Token, days: bool = False) -> int:
        return self._whole(token, "a number of days" if days else "a number of sessions")

    def last_session(self, meta: Meta, _the: Token, of: _SCOPE, c: ast.Condition) -> ast.History:
        return self._history(meta, ast.Quantifier.LAST, (None, 1), None, of, c)

    def any_of_last(self, meta: Meta, _any: Token, n: Token, of: _SCOPE, c: ast.Condition) -> ast.History:
        return self._history(meta, ast.Quantifier.ANY_OF_LAST, (None, self._n(n)), None, of, c)

    def count_of_last(self, meta: Meta, k: Token, n: Token, of: _SCOPE, c: ast.Condition) -> ast.History:
        return self._history(meta, ast.Quantifier.COUNT_OF_LAST, (self._n(k), self._n(n)), None, of, c)

    def every_of_last(self, meta: Meta, _every: Token, n: Token, of: _SCOPE, c: ast.Condition) -> ast.History:
        return self._history(meta, ast.Quantifier.EVERY_OF_LAST, (None, self._n(n)), None, of, c)

    def any_of_last_days(
        self, meta: Meta, _any: Token, n: Token, of: _SCOPE, c: ast.Condition
    ) -> ast.History:
        counts = (None, self._n(n, True))
        return self._history(meta, ast.Quantifier.ANY_OF_LAST, counts, None, of, c, True)

    def count_of_last_days(self, meta: Meta, k: Token, n: Token, of: _SCOPE, c: ast.Condition) -> ast.History:
        counts = (self._n(k, True), self._n(n, True))
        return self._history(meta, ast.Quantifier.COUNT_OF_LAST, counts, None, of, c, True)

    def every_of_last_days(
        self, meta: Meta, _every: Token, n: Token, of: _SCOPE, c: ast.Condition
    ) -> ast.History:
        counts = (None, self._n(n, True))
        return self._history(meta, ast.Quantifier.EVERY_OF_LAST, counts, None, of, c, True)

    def any_within(
        self, meta: Meta, _any: Token, of: _SCOPE, window: ast.Expr, c: ast.Condition
    ) -> ast.History:
        return self._history(meta, ast.Quantifier.ANY_WITHIN, (None, None), window, of, c)

    def none_within(
        self, meta: Meta, _no: Token, of: _SCOPE, window: ast.Expr, c: ast.Condition
    ) -> ast.History:
        return self._history(meta, ast.Quantifier.NONE_WITHIN, (None, None), window, of, c)

    def sessions_of(self, meta: Meta, *parts: Any) -> _SCOPE:
        name = next((p for p in parts if isinstance(p, Token)), None)
        scope = next((p for p in parts if isinstance(p, ast.SessionScope)), None)
        return (self._ident(name) if name is not None else None), scope

    def days_of(self, meta: Meta, scope: ast.SessionScope | None = None) -> _SCOPE:
        return None, scope

    def _scope(self, kind: ast.ScopeKind, meta: Meta, words: Sequence[Token]) -> ast.SessionScope:
        name = self._ident(words[-1]) if kind in (ast.ScopeKind.EXERCISE, ast.ScopeKind.TAGGED) else None
        return ast.SessionScope(kind, name, span_of(meta))

    def scope_exercise(self, meta: Meta, *words: Token) -> ast.SessionScope:
        return self._scope(ast.ScopeKind.EXERCISE, meta, words)

    def scope_any(self, meta: Meta, *words: Token) -> ast.SessionScope:
        return self._scope(ast.ScopeKind.ANY, meta, words)

    def scope_ladder(self, meta: Meta, *words: Token) -> ast.SessionScope:
        return self._scope(ast.ScopeKind.LADDER, meta, words)

    def scope_lower(self, meta: Meta, *words: Token) -> ast.SessionScope:
        return self._scope(ast.ScopeKind.LOWER, meta, words)

    def scope_below(self, meta: Meta, *words: Token) -> ast.SessionScope:
        return self._scope(ast.ScopeKind.BELOW, meta, words)

    def scope_tagged(self, meta: Meta, *words: Token) -> ast.SessionScope:
        return self._scope(ast.ScopeKind.TAGGED, meta, words)

    def window_quantity(self, meta: Meta, number: ast.Number) -> ast.Number:
        return number

    def window_name(self, meta: Meta, name: Token) -> ast.Ref:
        return self._ref((name,), span_of(meta))


def _split_except(items: Sequence[Any]) -> tuple[tuple[ast.TargetItem, ...], tuple[ast.TargetItem, ...]]:
    listed = tuple(i for i in items if isinstance(i, ast.TargetItem))
    excluded = next((i[1] for i in items if isinstance(i, tuple) and i[:1] == ("except",)), ())
    return listed, excluded


def _tags_run_on(items: Sequence[ast.TargetItem]) -> tuple[ast.TargetItem, ...]:
    """The names after `tagged` are tags up to the next `ladder` (language-2.md section 11)."""
    out: list[ast.TargetItem] = []
    tagging = False
    for item in items:
        if item.kind is ast.TargetKind.TAG:
            tagging = True
        elif item.kind is ast.TargetKind.LADDER:
            tagging = False
        elif tagging:
            item = ast.TargetItem(ast.TargetKind.TAG, item.name, None, item.span)
        out.append(item)
    return tuple(out)

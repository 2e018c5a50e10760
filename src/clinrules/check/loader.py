"""Loading: a rule file and the libraries it includes, read and parsed.

An include path is relative to the file that names it and must stay inside
the directory tree of the top ruleset (after symlinks are resolved), so a
rule file can never read a file elsewhere on the machine. The check is made
on the resolved path and then again by the open itself: an included file is
opened once, one path component at a time below the top directory with
`O_NOFOLLOW` (`base/files.py`), so a symbolic link swapped in between the
check and the open (a race) makes the open fail (CR419) instead of reading
outside the tree. A file included twice (a diamond) is read once; an include
cycle is an error at the include line. Syntax errors of every file are
reported together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from clinrules.base.diagnostics import Diagnostic, make
from clinrules.base.errors import RulesetError
from clinrules.base.files import OutsideTreeError
from clinrules.base.span import Span
from clinrules.syntax import ast
from clinrules.syntax.parser import parse
from clinrules.syntax.source import read_source


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """A parsed file, with the `include` line of the top file that brought it in."""

    rule_file: ast.RuleFile
    text: str
    include_site: tuple[str, Span] | None = None


def load_files(path: Path, name: str | None = None, *, beneath: Path | None = None) -> list[LoadedFile]:
    """Read and parse a rule file and, transitively, every library it includes.

    Args:
        path: the top file.
        name: the name its diagnostics use (default: the path as given).
        beneath: a directory tree the top file must lie in (a case file's
            tree), checked by the open as for an include.

    Raises:
        RulesetError: a file cannot be read or parsed, or an include is
            missing, outside the ruleset's directory, cyclic or not a library;
            with `beneath`, the top file is outside that tree (CR419).
        OSError: the top file itself cannot be read.
    """
    root_name = name if name is not None else str(path)
    if beneath is None:
        source = read_source(path, root_name)
    else:
        try:
            source = read_source(path.resolve(), root_name, beneath=beneath)
        except OutsideTreeError:
            raise RulesetError([_outside_tree(root_name)]) from None
    root = LoadedFile(parse(source.text, root_name), source.text)
    loader = _Loader(path.resolve().parent)
    loader.files.append(root)
    loader.visit(root, path.resolve(), [path.resolve()], None)
    if loader.diagnostics:
        raise RulesetError(loader.diagnostics)
    return loader.files


def files_from_text(text: str, name: str) -> list[LoadedFile]:
    """Parse rule text given directly; such text cannot include files.

    Raises:
        RulesetError: syntax errors, or an `include` (there is no directory
            to resolve it against).
    """
    rule_file = parse(text, name)
    includes = [d for d in rule_file.declarations if isinstance(d, ast.Include)]
    if includes:
        raise RulesetError(
            [
                make(
                    "CR419",
                    "rules given as text cannot include files",
                    name,
                    d.span,
                    "save the ruleset and its libraries as files and use clinrules.load(path)",
                )
                for d in includes
            ]
        )
    return [LoadedFile(rule_file, text)]


class _Loader:
    def __init__(self, top_dir: Path) -> None:
        self.top_dir = top_dir
        self.files: list[LoadedFile] = []
        self.seen: set[Path] = set()
        self.diagnostics: list[Diagnostic] = []

    def visit(self, loaded: LoadedFile, real: Path, stack: list[Path], site: tuple[str, Span] | None) -> None:
        self.seen.add(real)
        for decl in loaded.rule_file.declarations:
            if isinstance(decl, ast.Include):
                self._include(decl, loaded.rule_file.file, real, stack, site)

    def _include(
        self, decl: ast.Include, file: str, real: Path, stack: list[Path], site: tuple[str, Span] | None
    ) -> None:
        here = (file, decl.span)
        wanted = decl.path.value
        shown = os.path.normpath(os.path.join(os.path.dirname(file), wanted))
        try:
            target = (real.parent / wanted).resolve()
        except (OSError, ValueError, RuntimeError):  # a loop of links (RuntimeError before 3.13), a NUL
            self._error(
                "CR215", f"cannot read '{wanted}': its path cannot be resolved", here, f"looked for {shown}"
            )
            return
        if not target.is_relative_to(self.top_dir):
            self._error(
                "CR419",
                f"'{wanted}' lies outside the ruleset's directory; includes must stay inside it",
                here,
                "move the library next to the ruleset, or below its directory",
            )
            return
        if target in stack:
            cycle = " -> ".join(p.name for p in [*stack[stack.index(target) :], target])
            self._error("CR419", f"this include makes a cycle: {cycle}", here, "remove one of the includes")
            return
        if target in self.seen:
            return
        if not target.exists() or target.is_dir():
            self._error("CR215", f"cannot read '{wanted}': no such file", here, f"looked for {shown}")
            return
        try:
            source = read_source(target, shown, beneath=self.top_dir)
            rule_file = parse(source.text, shown)
        except RulesetError as error:
            self.diagnostics.extend(error.diagnostics)
            return
        except OutsideTreeError:
            self._error(
                "CR419",
                f"'{wanted}' changed while it was read: a part of its path is now a symbolic link; "
                "includes must stay inside the ruleset's directory",
                here,
                "include the file itself, not a link to it, and read the ruleset again",
            )
            return
        except OSError as error:
            self._error("CR215", f"cannot read '{wanted}': {error.strerror or error}", here)
            return
        if rule_file.header.kind is not ast.FileKind.LIBRARY:
            self._error(
                "CR419",
                f"'{wanted}' is a ruleset; only a library can be included",
                here,
                f"start {shown} with 'library ID' instead of 'ruleset ID'",
            )
            return
        loaded = LoadedFile(rule_file, source.text, site or here)
        self.files.append(loaded)
        self.visit(loaded, target, [*stack, target], site or here)

    def _error(self, code: str, message: str, where: tuple[str, Span], hint: str | None = None) -> None:
        file, span = where
        self.diagnostics.append(make(code, message, file, span, hint))


def _outside_tree(name: str) -> Diagnostic:
    return make(
        "CR419",
        f"'{name}' lies outside the case file's directory, or a part of its path is a symbolic link",
        name,
        Span(1, 1, 1, 1, 0, 0),
        "name a rule file in the case file's directory or below it",
    )

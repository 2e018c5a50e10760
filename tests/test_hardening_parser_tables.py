"""Flaw 1 of issue 12: the parser tables are package data that cannot run code.

The parser used to be cached as a Lark pickle in `~/.cache/clinrules`, and a
`HOME` inside a cloned repository that shipped `.cache/clinrules/` ran the
attacker's pickle. Now the tables ship in the package as JSON
(`clinrules/syntax/parser_tables.json`), are used only when they were built
from the very grammar in use, and nothing is read from or written to a
user-writable place.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import lark
import pytest

from clinrules.syntax import grammar, tables
from tests.conftest import ROOT

RULES = ROOT / "examples" / "language" / "glute_bridge.rules"
_PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation")
_MAIN = "import sys; from clinrules.cli import main; sys.exit(main())"


class _Planted:
    """A pickle that creates a directory when it is unpickled: proof that it ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def _snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))
    }


COMMITTED = grammar.TABLES_FILE


def _committed() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return loaded


def _grammar_text() -> str:
    return grammar.grammar_path().read_text(encoding="utf-8")


def test_flaw1_a_planted_cache_pickle_is_never_loaded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    marker = tmp_path / "the-pickle-ran"
    planted = b"0" * 64 + b"\n" + pickle.dumps(_Planted(marker))
    # Every place the old design looked, and a few names besides.
    for directory in (home / ".cache" / "clinrules", home / "xdg" / "clinrules"):
        directory.mkdir(parents=True)
        for name in ("parser.lark-cache", "parser.pickle", "tables.json", "cache"):
            (directory / name).write_bytes(planted)
    work = tmp_path / "work"
    work.mkdir()
    for name in ("glute_bridge.rules", "red_flags.rules"):
        (work / name).write_bytes((RULES.parent / name).read_bytes())
    before = _snapshot(home)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / "xdg"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for xdg in (str(home / "xdg"), None):
        if xdg is None:
            env.pop("XDG_CACHE_HOME")
        done = subprocess.run(
            [sys.executable, "-c", _MAIN, "check", "glute_bridge.rules"],
            capture_output=True,
            text=True,
            cwd=work,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert not marker.exists()
    assert _snapshot(home) == before


def test_the_committed_tables_were_built_from_the_committed_grammar() -> None:
    document = _committed()
    wanted = hashlib.sha256(_grammar_text().encode("utf-8")).hexdigest()
    # On failure: run `.venv/bin/python -m clinrules.syntax.tables` (or `make tables`).
    assert document["grammar_sha256"] == wanted


def test_the_committed_tables_parse_like_a_freshly_built_parser() -> None:
    document = grammar.read_tables(COMMITTED.read_text(encoding="utf-8"))
    loaded = grammar.load_parser(document)
    built = grammar.build_parser(_grammar_text())
    sources = sorted((ROOT / "rulesets").rglob("*.rules")) + sorted((ROOT / "examples").rglob("*.rules"))
    assert sources
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert loaded.parse(text, start=grammar.START_FILE) == built.parse(text, start=grammar.START_FILE)


def test_the_parser_uses_the_tables_when_they_match() -> None:
    if _committed()["lark_version"] != lark.__version__:
        pytest.skip("the tables were built with another lark; regenerate them for this one")
    assert grammar.packaged_parser(_grammar_text()) is not None


def test_stale_tables_are_not_used_and_the_parser_is_built_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = _committed()
    document["grammar_sha256"] = "0" * 64
    stale = tmp_path / "parser_tables.json"
    stale.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setattr(grammar, "TABLES_FILE", stale)
    assert grammar.packaged_parser(_grammar_text()) is None
    text = RULES.read_text(encoding="utf-8")
    grammar.parser.cache_clear()
    try:
        parsed = grammar.parser().parse(text, start=grammar.START_FILE)
    finally:
        grammar.parser.cache_clear()
    assert parsed == grammar.build_parser(_grammar_text()).parse(text, start=grammar.START_FILE)


@pytest.mark.parametrize("field", ["lark_version", "format", "propagate_positions"])
def test_tables_from_another_lark_format_or_options_are_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str
) -> None:
    document = _committed()
    if field == "propagate_positions":
        document["data"]["options"][field] = False
    else:
        document[field] = {"lark_version": "0.0.0", "format": 0}[field]
    other = tmp_path / "parser_tables.json"
    other.write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.setattr(grammar, "TABLES_FILE", other)
    assert grammar.packaged_parser(_grammar_text()) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        '{"format": 1}',
        "NaN",
        '{"a": 1, "a": 2}',
        '{"#tuple": [1], "extra": 2}',
        '{"#items": [[1, 2, 3]]}',
        '{"#items": [[[1], 2]]}',
        '{"#items": 5}',
        '{"#other": 1}',
        '{"__reduce__": "os.system"}',
    ],
)
def test_the_decoder_refuses_anything_it_does_not_expect(text: str) -> None:
    with pytest.raises(grammar.TablesError):
        grammar.read_tables(text)


def test_unreadable_or_missing_tables_mean_building(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grammar, "TABLES_FILE", tmp_path / "absent.json")
    assert grammar.packaged_parser(_grammar_text()) is None
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x80\x81 not utf-8")
    monkeypatch.setattr(grammar, "TABLES_FILE", garbage)
    assert grammar.packaged_parser(_grammar_text()) is None


def test_the_encoding_round_trips_exactly() -> None:
    value = {"a": (1, "x", (None, True)), 3: [1.5, {"b": {7: ("c",)}}], (1, 2): "t"}
    assert grammar.decode(json.dumps(tables.encode(value))) == value


def test_the_encoder_refuses_what_the_decoder_would_misread() -> None:
    with pytest.raises(grammar.TablesError):
        tables.encode({"#tuple": 1})
    with pytest.raises(grammar.TablesError):
        tables.encode({"a": object()})


@pytest.mark.slow
def test_a_built_wheel_carries_tables_that_fit_its_grammar(tmp_path: Path) -> None:
    subprocess.run(
        [*_PIP_WHEEL, "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("clinrules-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packaged = archive.read("clinrules/syntax/parser_tables.json").decode("utf-8")
        copy = archive.read("clinrules/_grammar/clinrules.lark").decode("utf-8")
    # read_text's universal newlines, as grammar.parser() reads the copy
    copy = copy.replace("\r\n", "\n").replace("\r", "\n")
    assert grammar.read_tables(packaged)["grammar_sha256"] == grammar.grammar_sha256(copy)


@pytest.mark.parametrize(
    "inner",
    [
        '{"a": 1, "a": 2}',
        '{"a": 1, "b": 2, "a": 3}',
        '{"#tuple": 1}',
        '{"#tuple": [1], "a": 2}',
        '{"a": 2, "#tuple": [1]}',
        '{"#other": [1]}',
        '{"#": 1}',
        '{"a": 1, "#": 2}',
        '{"#items": [[[1], 2]]}',
    ],
)
def test_the_decoder_refuses_a_bad_object_at_any_depth(inner: str) -> None:
    # Deep inside, where the hook's quick way for plain objects runs, as at the top.
    with pytest.raises(grammar.TablesError):
        grammar.decode(f'{{"data": {{"rules": [{inner}]}}}}')


def test_the_decoder_gives_tuples_and_keys_that_are_not_text() -> None:
    decoded = grammar.decode(
        '{"a": {"#tuple": [1, {"#tuple": []}]}, "b": {"#items": [[1, "x"], [{"#tuple": [2]}, 3]]},'
        ' "c": {}, "d": {"$": 1, " ": 2, "z": 3}, "e": {"@": 4}}'
    )
    assert decoded == {
        "a": (1, ()),
        "b": {1: "x", (2,): 3},
        "c": {},
        "d": {"$": 1, " ": 2, "z": 3},
        "e": {"@": 4},
    }
    assert type(decoded["a"]) is tuple

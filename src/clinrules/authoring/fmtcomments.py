"""Where `fmt` puts comments: each with the printed item it belongs to, in its order.

The formatter (`fmt.py`) prints a file as a list of items (a declaration's
head, a header line, a verdict line, a clause, ...), each remembering the
source offsets of what it prints. A comment that shares a line with an item's
text goes at the end of that item's line; a comment on its own line goes on
its own line before the item that followed it. Every comment is kept, in its
order: `format_text` checks it on every run.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from clinrules.syntax import ast

__all__ = ["Item", "attach", "comment_text", "render"]

_SPACE = re.compile(r"[ \t\f\r\n]*")


@dataclass
class Item:
    """One printed piece of the file that comments can go with.

    Attributes:
        lines: the printed lines, indentation included.
        start: the source offset of the item's first character.
        end: the source offset just after its last character.
        indent: "" for the first line of a declaration or of the header,
            else two spaces; comments before the item take this indentation.
        before: the comments printed on their own lines before the item.
        trailing: the comment printed at the end of its last line.
    """

    lines: list[str]
    start: int
    end: int
    indent: str
    before: list[ast.Comment] = field(default_factory=list)
    trailing: ast.Comment | None = None


def _trailing(comment: ast.Comment, text: str) -> bool:
    """True when something other than blanks comes before the comment on its line."""
    line_start = text.rfind("\n", 0, comment.span.start) + 1
    return bool(text[line_start : comment.span.start].strip())


def attach(items: list[Item], comments: tuple[ast.Comment, ...], text: str) -> list[ast.Comment]:
    """Give each comment to an item; return the comments that go at the end of the file.

    A comment's owner is the last item that starts before it. The comments
    inside the owner's text or at the end of one of its lines stay with it:
    the last of them, when it was a trailing comment, at the end of its last
    line, the others on their own lines before it. A comment on its own line
    after the owner goes before the next item, or at the end of the file.
    Comments keep their order in every case.
    """
    starts = [item.start for item in items]
    owned: list[list[ast.Comment]] = [[] for _ in items]
    for comment in comments:
        owner = bisect.bisect_left(starts, comment.span.start) - 1
        if owner < 0:
            items[0].before.append(comment)
        else:
            owned[owner].append(comment)
    end_comments: list[ast.Comment] = []
    for index, (item, mine) in enumerate(zip(items, owned, strict=True)):
        inner = 0
        for position, comment in enumerate(mine):
            if comment.span.start < item.end or _trailing(comment, text):
                inner = position + 1
        if inner and _trailing(mine[inner - 1], text):
            item.before += mine[: inner - 1]
            item.trailing = mine[inner - 1]
        else:
            item.before += mine[:inner]
        following = items[index + 1].before if index + 1 < len(items) else end_comments
        following += mine[inner:]
    return end_comments


def comment_text(comment: ast.Comment) -> str:
    return comment.text.removesuffix("\r")  # lines end with \n only


def _blank_after(comment: ast.Comment, text: str) -> bool:
    """True when a blank line follows the comment in the source."""
    match = _SPACE.match(text, comment.span.end)
    return match is not None and match.group().count("\n") >= 2


def render(items: list[Item], end_comments: list[ast.Comment], text: str) -> str:
    """Join the items: one blank line before each declaration, comments in their places.

    Before a declaration (and the header, and at the end of the file) a blank
    line the author left after a comment is kept, as one blank line; inside a
    declaration or the header there are no blank lines.
    """
    out: list[str] = []
    for index, item in enumerate(items):
        top = item.indent == ""
        if top and index > 0:
            out.append("")
        for comment in item.before:
            out.append(item.indent + comment_text(comment))
            if top and _blank_after(comment, text):
                out.append("")
        lines = list(item.lines)
        if item.trailing is not None:
            lines[-1] += "  " + comment_text(item.trailing)
        out += lines
    if end_comments:
        out.append("")
        for position, comment in enumerate(end_comments):
            out.append(comment_text(comment))
            if position + 1 < len(end_comments) and _blank_after(comment, text):
                out.append("")
    return "\n".join(out) + "\n"

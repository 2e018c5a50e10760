"""What the commands of the CLI share: the exit codes, the usage error, paths, and printing."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TextIO, cast

from clinrules.base.diagnostics import Diagnostic, render
from clinrules.base.files import kind_of, read_bounded
from clinrules.base.limits import MAX_FILE_BYTES
from clinrules.base.terminal import encodable, printable

# The exit codes, documented in cli/main.py; 70 is a bug in clinrules.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_BUG = 70
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A problem with the command line or a path: exit 2."""


class OutputError(Exception):
    """Standard output or standard error cannot be written (a full disk): exit 2.

    Not an OSError, so that no command's handling of its own files catches it.

    Attributes:
        stream: the stream that failed.
    """

    def __init__(self, stream: IO[str], what: str, error: OSError) -> None:
        self.stream = stream
        super().__init__(f"cannot write to {what}: {error.strerror or error}")


class Printer:
    """A text stream for everything the CLI prints: safe for a terminal, whatever it holds.

    Control and invisible characters (patient keys, file names, a model's
    texts) are shown as `\\uXXXX` escapes, so nothing printed can act on the
    terminal or hide text; a character the stream's encoding cannot hold (an
    ASCII-only terminal) is escaped the same way instead of failing. A write
    that fails for lack of space raises `OutputError`; a closed pipe stays a
    `BrokenPipeError`.
    """

    def __init__(self, stream: IO[str], what: str) -> None:
        self._stream = stream
        self._what = what
        self._encoding: str | None = getattr(stream, "encoding", None)

    def write(self, text: str) -> int:
        shown = printable(text)
        try:
            self._stream.write(shown)
        except UnicodeEncodeError:
            self._call(self._stream.write, encodable(shown, self._encoding))
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(self._stream, self._what, error) from None
        return len(text)

    def flush(self) -> None:
        self._call(self._stream.flush)

    def isatty(self) -> bool:
        """Whether the stream is a terminal (progress is shown only there)."""
        try:
            return bool(self._stream.isatty())
        except (AttributeError, ValueError, OSError):  # a stream without a terminal, or closed
            return False

    def stream(self) -> TextIO:
        """This printer, typed as the stream the commands write to (they use write and flush)."""
        return cast("TextIO", self)

    def _call(self, action: Callable[..., object], *args: str) -> None:
        try:
            action(*args)
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(self._stream, self._what, error) from None


def expand_paths(paths: Sequence[str], pattern: str) -> list[Path]:
    """The files the command-line paths name: a directory means every match below it.

    Raises:
        UsageError: a path does not exist, or a directory holds no match.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    for raw in paths:
        if "\0" in raw:
            raise UsageError(f"cannot read '{raw}': a file name cannot hold a NUL character")
        try:
            below = _below(raw, pattern)
            for item in below:
                if item.resolve() not in seen:
                    seen.add(item.resolve())
                    found.append(item)
        except (OSError, RuntimeError) as error:  # a name too long, a loop of symbolic links
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise UsageError(f"cannot read '{raw}': {reason}") from None
    return found


def _below(raw: str, pattern: str) -> list[Path]:
    path = Path(raw)
    if path.is_dir():
        below = sorted(p for p in path.rglob(pattern) if p.is_file())
        if not below:
            raise UsageError(f"no {pattern} files under '{raw}'")
        return below
    if path.exists():
        return [path]
    raise UsageError(f"cannot read '{raw}': no such file or directory")


def print_diagnostics(diagnostics: Iterable[Diagnostic], err: TextIO) -> None:
    """Render diagnostics as `clinrules check` does, each with its source line."""
    texts: dict[str, str | None] = {}
    for diagnostic in diagnostics:
        if diagnostic.file not in texts:
            texts[diagnostic.file] = _text_of(diagnostic.file)
        print(render(diagnostic, texts[diagnostic.file]), file=err)


def _text_of(file: str) -> str | None:
    """A file's text for showing source lines; None when it cannot be read.

    Bounded like every read: the file a CR007 or CR003 names may be a FIFO or /dev/zero.
    """
    try:
        return read_bounded(file, MAX_FILE_BYTES).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def existing_file(text: str, what: str = "one .rules file") -> Path:
    """The file a command reads, named on its command line.

    Raises:
        UsageError: the path is a directory (give `what` instead), or nothing is there.
    """
    path = Path(text)
    if path.is_dir():
        raise UsageError(f"'{text}' is a directory; give {what}")
    if not path.is_file():
        raise UsageError(f"cannot read '{text}': no such file")
    return path


def refuse_unwritable_output(output: str, command: str, example: str) -> None:
    """Refuse an `-o` output that exists and is not a regular file (symbolic links not followed).

    Args:
        output: the path `-o` gave.
        command: the command writing it, as the message names it (`doc`).
        example: a file name to suggest (`ruleset.md`).

    Raises:
        UsageError: a directory, a symbolic link, a FIFO, a device or a socket.
    """
    try:
        status = os.lstat(output)
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        return  # the write reports it (a name too long, a directory that is not there)
    if stat.S_ISDIR(status.st_mode):
        raise UsageError(f"-o '{output}' is a directory; give a file name such as {example}")
    if not stat.S_ISREG(status.st_mode):
        raise UsageError(
            f"-o '{output}' is {kind_of(status.st_mode)}, not a regular file; {command} writes only a new "
            "file or replaces a regular one: give another name"
        )


def write_whole(target: Path, text: str, command: str, example: str) -> None:
    """Write a file whole or not at all (a temporary file beside it, then a rename).

    The file keeps the permissions of the file it replaces, and a new file
    gets the umask's (`0666 & ~umask`), as any file a command writes: the
    temporary file's own (0600) would hide it from the people who share it.
    """
    import tempfile  # here: only the commands that write files need it, and it is slow to import

    directory = target.parent if str(target.parent) else Path(".")
    mode = _mode_for(target)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=directory)
    try:
        os.chmod(temporary, mode)  # before any text is in it
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        refuse_unwritable_output(str(target), command, example)  # once more, just before the rename
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    """The permission bits for a written file: the existing file's, else `0666` less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except (OSError, ValueError):
        umask = os.umask(0o022)  # the only way to read it; set back at once
        os.umask(umask)
        return 0o666 & ~umask

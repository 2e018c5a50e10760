"""Reading an input file: once, bounded, only a regular file, and confined where it must be.

Stage: base, under every stage that reads a file (rule files and their
includes, case files and the patient files they name, `clinrules eval`'s
patient).

Design decision: every check is made on the open file, never on its name
alone. The file is opened without blocking, so a FIFO cannot hang the open;
`fstat` of the descriptor refuses whatever is not a regular file (a FIFO, a
device such as /dev/zero, a socket, a directory); and at most `limit + 1`
bytes are read whatever the size the file claims, so a file that lies about
its size or grows while it is read still costs bounded memory. A file that
must stay inside a directory tree is opened one path component at a time,
each relative to the descriptor of the directory above it and with
`O_NOFOLLOW`, walking down from the tree's root: a symbolic link swapped in
after the path was checked makes the open fail instead of leading it out of
the tree (no race between checking a name and opening it).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_CHUNK = 1 << 16

# Flags that do not exist everywhere are 0 where they are missing.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)


class NotRegularFileError(OSError):
    """The path names a FIFO, a device, a socket or another file that is not a regular file."""

    def __init__(self, path: str | os.PathLike[str], mode: int) -> None:
        self.kind = kind_of(mode)
        super().__init__(f"'{os.fspath(path)}' is not a regular file: it is {self.kind}")


class FileTooLargeError(OSError):
    """The file holds more bytes than the limit allows."""

    def __init__(self, path: str | os.PathLike[str], limit: int) -> None:
        self.limit = limit
        super().__init__(f"'{os.fspath(path)}' is larger than {limit:,} bytes")


class OutsideTreeError(OSError):
    """The path leaves the directory tree it must stay in, or a part of it became a symbolic link."""

    def __init__(self, path: str | os.PathLike[str], root: str | os.PathLike[str]) -> None:
        self.root = os.fspath(root)
        super().__init__(
            f"'{os.fspath(path)}' lies outside '{self.root}', or a part of it is a symbolic link"
        )


def kind_of(mode: int) -> str:
    """What a file of this `st_mode` is, in words: `a named pipe (FIFO)`, `a directory`, ..."""
    kinds = (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    )
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def inside(path: Path, root: Path) -> Path | None:
    """`path` with every symbolic link resolved, when that lies inside `root` (resolved too); else None."""
    real = path.resolve()
    return real if real.is_relative_to(root.resolve()) else None


def read_bounded(path: str | os.PathLike[str], limit: int, *, beneath: Path | None = None) -> bytes:
    """Read a whole regular file of at most `limit` bytes.

    Args:
        path: the file. With `beneath`, a path inside that directory tree
            (relative to it, or absolute below it, without symbolic links:
            a `Path.resolve()` result), opened component by component.
        limit: the largest size accepted, in bytes.
        beneath: the directory tree the file must stay in; None follows the
            path wherever it leads (a file the user named on purpose).

    Raises:
        NotRegularFileError: a FIFO, a device, a socket (never opened for long:
            nothing is read from it).
        IsADirectoryError: a directory, as the open of a directory reports it.
        FileTooLargeError: more than `limit` bytes.
        OutsideTreeError: with `beneath`, the path leaves the tree, or one of
            its parts is (now) a symbolic link.
        OSError: any other reason the file cannot be read.
    """
    data, _status = read_bounded_stat(path, limit, beneath=beneath)
    return data


def read_bounded_stat(
    path: str | os.PathLike[str], limit: int, *, beneath: Path | None = None
) -> tuple[bytes, os.stat_result]:
    """`read_bounded`, with the `fstat` of the file that was read (who owns it, which inode it is)."""
    descriptor = _open(Path(path), beneath) if beneath is not None else _open_named(Path(path))
    try:
        status = os.fstat(descriptor)
        _refuse_unless_regular(path, status.st_mode)
        return read_descriptor(descriptor, limit, path), status
    finally:
        os.close(descriptor)


def read_descriptor(descriptor: int, limit: int, path: str | os.PathLike[str]) -> bytes:
    """At most `limit` bytes from an open file, read to its end.

    Raises:
        FileTooLargeError: the file holds more than `limit` bytes.
    """
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(descriptor, min(_CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise FileTooLargeError(path, limit)


def _refuse_unless_regular(path: str | os.PathLike[str], mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(path, mode)


def _open_named(path: Path) -> int:
    # A stat first, so that a device is refused without being opened at all
    # (opening some devices acts on them); the fstat after the open decides.
    _refuse_unless_regular(path, os.stat(path).st_mode)
    return os.open(path, _READ | _NONBLOCK)


def _open(path: Path, root: Path) -> int:
    """Open `path` below `root`, refusing a symbolic link in any part of it."""
    root = root.resolve()
    try:
        parts = (path.relative_to(root) if path.is_absolute() else path).parts
    except ValueError:
        raise OutsideTreeError(path, root) from None
    if not parts or any(part in ("..", ".") for part in parts):
        raise OutsideTreeError(path, root)
    if os.open not in os.supports_dir_fd or not _NOFOLLOW:
        return _open_checked(root.joinpath(*parts), root)
    directory = os.open(root, _READ | _DIRECTORY)
    try:
        for part in parts[:-1]:
            try:
                below = os.open(part, _READ | _DIRECTORY | _NOFOLLOW, dir_fd=directory)
            except NotADirectoryError:  # Linux reports a link met with O_DIRECTORY so
                if stat.S_ISLNK(os.stat(part, dir_fd=directory, follow_symlinks=False).st_mode):
                    raise OutsideTreeError(path, root) from None
                raise
            os.close(directory)
            directory = below
        status = os.stat(parts[-1], dir_fd=directory, follow_symlinks=False)
        if stat.S_ISLNK(status.st_mode):
            raise OutsideTreeError(path, root)
        _refuse_unless_regular(path, status.st_mode)
        return os.open(parts[-1], _READ | _NONBLOCK | _NOFOLLOW, dir_fd=directory)
    except OSError as error:
        # O_NOFOLLOW meeting a symbolic link: ELOOP (EMLINK on FreeBSD).
        if error.errno in (errno.ELOOP, errno.EMLINK):
            raise OutsideTreeError(path, root) from None
        raise
    finally:
        os.close(directory)


def _open_checked(path: Path, root: Path) -> int:
    """Where `dir_fd` is missing: open by name, then check that the open file is the one inside the tree."""
    real = inside(path, root)
    if real is None:
        raise OutsideTreeError(path, root)
    _refuse_unless_regular(path, os.stat(real).st_mode)
    descriptor = os.open(real, _READ | _NONBLOCK)
    opened, named = os.fstat(descriptor), os.stat(real)
    if (opened.st_dev, opened.st_ino) != (named.st_dev, named.st_ino) or inside(path, root) != real:
        os.close(descriptor)
        raise OutsideTreeError(path, root)
    return descriptor

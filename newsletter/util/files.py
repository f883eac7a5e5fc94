"""Atomic file writes: write to a temporary name beside the target, then rename.

A reader never sees a half-written file, and a failed or killed write leaves the old file
(or nothing) in place.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path


@contextmanager
def held_alone(
    lock: Path, busy: Exception, unusable: Callable[[OSError], Exception]
) -> Iterator[None]:
    """Hold ``lock`` for the block, alone: ``flock`` on the file (dropped by the kernel when
    the process dies), removed on the way out. ``busy`` is raised at once when another holder
    has it; ``unusable(error)`` when the file cannot be created."""
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        handle = lock.open("a+b")
    except OSError as exc:
        raise unusable(exc) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # the file opened may be one a holder removed on its way out: held only if it
            # is still the one at that path
            if os.fstat(handle.fileno()).st_ino != os.stat(lock).st_ino:
                raise busy
        except (BlockingIOError, FileNotFoundError):
            raise busy from None
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)  # while held: the next one opens a new file


#: Why a path that exists is no file to read: a named pipe blocks its reader until another
#: process writes, a device such as ``/dev/zero`` never ends.
NOT_REGULAR = "is not a regular file (a pipe, socket or device)"


def special_file(path: Path) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a folder (a pipe, a socket,
    a device): refuse it before reading (:data:`NOT_REGULAR`)."""
    return path.exists() and not path.is_file() and not path.is_dir()


def refuse_special(path: Path) -> None:
    """Raise :class:`OSError` (its ``strerror`` :data:`NOT_REGULAR`) when ``path`` is a pipe,
    a socket or a device: a file written to a temporary name and renamed would replace it."""
    if special_file(path):
        raise OSError(errno.EEXIST, NOT_REGULAR, str(path))


def output_problem(
    path: Path, *, folder: bool | None, reads: Mapping[str, Path | None] | None = None
) -> str | None:
    """Why ``path`` cannot be written as a command's output, or None: a part of it that
    exists as a file where a folder must be (``afile/x.html``: "afile is a file, not a
    folder", where the system would say "File exists"), the path itself of the wrong
    kind, or one of the files the command reads: ``reads`` maps what each is ("the list
    being imported") to its path, and an output that is the same file (by another name, a
    symbolic or a hard link too) would replace it. ``folder``: True for a folder to write
    in, False for a file, None for either (a folder gets a file of a default name inside)."""
    if folder is not True and special_file(path):  # renamed over, the node would be lost
        return f"{path} {NOT_REGULAR}: give a regular file's path"
    for what, source in (reads or {}).items():
        if source is not None and same_file(path, source):
            named = "" if str(source) == str(path) else f" ({source})"
            return f"{path} is {what}{named}: writing there would replace it; give another path"
    for part in reversed(path.parents):
        if not part.exists():
            break
        if not part.is_dir():
            return f"{part} is a file, not a folder"
    if folder is True and path.exists() and not path.is_dir():
        return f"{path} is a file, not a folder"
    if folder is False and path.is_dir():
        return f"{path} is a folder, not a file: give a file name"
    return None


def same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` both exist and are one file (its device and inode: through a
    symbolic link, a hard link or another spelling of the path too)."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):  # one of them missing, unreadable, or holding a NUL
        return False


#: The longest file name, in bytes, where the file system does not say (ext4, XFS, Btrfs and
#: tmpfs take 255).
_NAME_MAX = 255


def _name_max(folder: Path) -> int:
    """The longest name, in bytes, a file in the existing ``folder`` may have."""
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return _NAME_MAX


#: The end of a temporary name: ``.<12 hex digits>.tmp`` (a backup's: ``.old``, as long).
_TMP_END = 1 + 12 + 4


def _hidden_names(path: Path, end: str) -> Iterator[Path]:
    """Hidden names beside ``path``, a new random one each: ``.<path's name>.<random><end>``
    (``end`` is ``.tmp`` or ``.old``), the path's name cut so that the whole is no longer than
    the file system takes: a name that fits is never refused for its hidden one's length."""
    room = _name_max(path.parent) - 1 - _TMP_END
    stem = os.fsencode(path.name)
    name = stem[:room].decode("utf-8", "ignore") if len(stem) > room else path.name
    while True:
        yield path.parent / f".{name}.{secrets.token_hex(6)}{end}"


def _new_file_beside(path: Path) -> Path:
    """A new empty file with a random hidden name beside ``path`` (:func:`_hidden_names`),
    made with the mode the process's umask leaves of 0o666, as a file the command wrote itself
    would get: a list exported under ``umask 077`` stays its owner's (``mkstemp``'s 0o600 and
    a fixed 0o644 would not honour the umask)."""
    for tmp in _hidden_names(path, ".tmp"):
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        except OSError as exc:  # a folder it may not write in: named by the file it was for,
            raise OSError(exc.errno, exc.strerror, str(path)) from None  # not the hidden one
        return tmp
    raise AssertionError("unreachable")  # pragma: no cover


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; renamed over ``path`` when the block ends
    without an error, removed otherwise. The file gets the mode the umask gives new files.
    A ``path`` that is a pipe, a socket or a device is refused before anything is written
    (:func:`refuse_special`): the rename would replace the node itself (``/dev/null`` a
    regular file, for every program on the machine, when run as root)."""
    refuse_special(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_file_beside(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def replacing_all(*paths: Path) -> Iterator[tuple[Path, ...]]:
    """:func:`replacing` for files that belong together (an issue's HTML and text, a
    snapshot with its rejects and report): a temporary file beside each of ``paths``; when
    the block ends without an error they replace the files all or none, as far as POSIX
    allows, where renaming them one at a time left a mix when a rename failed or a signal
    came between two (``issue.html`` new, ``issue.txt`` last week's).

    A target that is a folder, a pipe, a socket or a device is refused before the block
    runs (one made a folder while it ran, before any rename). When it ends, each existing
    target first gets a hidden backup (``.<name>.<random>.old``, a hard link: the target
    never goes missing; renamed away where the file system takes no hard link, the target
    then missing until its new file is in place); then the temporary files are renamed into place,
    the last first. A rename that fails, or an exception raised meanwhile (an error, the
    ``KeyboardInterrupt`` of Ctrl-C, the ``Terminated`` the CLI raises for SIGTERM), puts
    every backup back (and removes a target that was new), then raises; only when every
    rename succeeded are the backups removed.

    What is left, POSIX offering no rename of several files at once: a reader may see the
    files renamed so far new beside the others old for the moment between two renames; a process
    killed outright there (SIGKILL, a power cut), or a restore that itself fails (the folder
    made read-only meanwhile, a second signal during the restore), leaves that mix, with the
    old file in its hidden ``.old`` backup beside it; a backup that cannot be removed after
    a success stays as such a hidden file."""
    for path in paths:
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, f"{path} is a folder", str(path))
        refuse_special(path)
    tmps: list[Path] = []
    try:
        for path in paths:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmps.append(_new_file_beside(path))
        yield tuple(tmps)
        _replace_together(list(zip(paths, tmps, strict=True)))
    finally:
        for tmp in tmps:  # renamed ones are gone; the others are removed
            with suppress(OSError):  # never in place of the exception that stopped it
                tmp.unlink(missing_ok=True)


def _replace_together(pairs: list[tuple[Path, Path]]) -> None:
    """Rename each ``(target, temporary)`` pair's file over its target, the last first: all,
    or (on any exception) none, each old target put back from its backup. See
    :func:`replacing_all`."""
    backups: dict[Path, Path | None] = {}  # target -> its backup (None: it did not exist)
    begun: list[Path] = []  # targets whose rename may have happened
    kept: set[Path] = set()  # backups that could not be put back: the old files, kept
    try:
        for target, _tmp in pairs:
            _backup(target, backups)
        for target, tmp in reversed(pairs):
            begun.append(target)  # before the rename: a signal may come right after it
            os.replace(tmp, target)
    except BaseException:
        # every target put back: those renamed over, and those renamed away for a backup
        for target in [*reversed(begun), *(t for t in backups if t not in begun)]:
            backup = backups[target]
            if backup is None and target not in begun:
                continue
            try:
                _restore(target, backup)
            except OSError:
                if backup is not None:
                    kept.add(backup)
        raise
    finally:
        for backup in backups.values():  # after a restore, only those not put back are left
            if backup is not None and backup not in kept:
                with suppress(OSError):
                    backup.unlink(missing_ok=True)


def _backup(target: Path, backups: dict[Path, Path | None]) -> None:
    """Record in ``backups`` a hidden backup of ``target`` made beside it (a hard link of
    the file, or of the link itself for a symbolic link; renamed away where the file system
    takes no hard link), or None when there is no ``target``. The name is recorded before
    the file is made, so an exception at any point leaves nothing unrecorded."""
    if not os.path.lexists(target):
        backups[target] = None
        return
    if target.is_dir() and not target.is_symlink():  # made a folder while the block ran
        raise IsADirectoryError(errno.EISDIR, f"{target} is a folder", str(target))
    for backup in _hidden_names(target, ".old"):
        if os.path.lexists(backup):
            continue
        backups[target] = backup
        try:
            os.link(target, backup, follow_symlinks=False)
        except FileExistsError:  # made meanwhile by another process: not ours to remove
            backups[target] = None
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EMLINK):
                backups[target] = None
                raise
            os.rename(target, backup)  # no hard links here: the target is missing meanwhile
        return


def _restore(target: Path, backup: Path | None) -> None:
    """Put ``target`` back as it was: its backup renamed over it (a link: the target was
    there all along; a rename: it is back), or the target removed if it is new."""
    if backup is None:
        target.unlink(missing_ok=True)
    else:
        os.replace(backup, target)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str) -> None:
    """UTF-8 text, written atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))

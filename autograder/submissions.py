"""Reading a class's submissions without following anything a student controls.

A submissions folder is ``<student>/<assignment>/<notebook>.ipynb``. The folder given by
the instructor is trusted; everything inside it is not. So every step below it is taken
relative to a directory descriptor with ``O_NOFOLLOW``: a symbolic link (for a student's
folder, an assignment folder or a notebook), a FIFO, a device or a hard link to a file
elsewhere is refused, never opened, and the notebook is graded as ``invalid`` with a
message that says why. Files are size-checked (``fstat``) before they are read.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class Refused(Exception):
    """Something in a submission is not a plain file or folder of the student's own."""


@dataclass(frozen=True)
class Found:
    """One notebook to grade: its bytes (None when refused or missing) and what to say."""

    name: str | None           # the file graded, e.g. "ch02_tanh_recurrence.ipynb"
    raw: bytes | None
    problem: str | None = None  # why it cannot be graded ("invalid")
    note: str | None = None     # graded, with a remark (a renamed file)
    missing: bool = False


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISDIR, "a folder")):
        if test(mode):
            return name
    return "a file"


def _open_dir(name: str, dir_fd: int | None, what: str) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            st = os.lstat(name, dir_fd=dir_fd)
            raise Refused(f"{what} is {_kind(st.st_mode)}, not a folder (links are not followed)") from None
        raise


def read_file(name: str, dir_fd: int | None, max_bytes: int, what: str) -> bytes:
    """The bytes of a regular file with one link, opened without following links."""
    st = os.lstat(name, dir_fd=dir_fd)
    if not stat.S_ISREG(st.st_mode):
        raise Refused(f"{what} is {_kind(st.st_mode)}, not a plain file (links are not followed)")
    fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    try:
        st2 = os.fstat(fd)
        if not stat.S_ISREG(st2.st_mode) or (st2.st_dev, st2.st_ino) != (st.st_dev, st.st_ino):
            raise Refused(f"{what} changed while it was being read")
        if st2.st_nlink > 1:
            raise Refused(f"{what} is a hard link ({st2.st_nlink} names for one file); submit a plain copy")
        if st2.st_size > max_bytes:
            raise Refused(f"{what} is {st2.st_size >> 20} MB, more than the {max_bytes >> 20} MB a notebook may be")
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise Refused(f"{what} grew past {max_bytes >> 20} MB while it was being read")
        return data
    finally:
        os.close(fd)


def read_notebook(path: str, max_bytes: int) -> tuple[bytes | None, str | None]:
    """An instructor-given path (the chapter tests): ``(bytes, None)`` or ``(None, why)``.
    The last component is still not followed if it is a link."""
    folder, name = os.path.split(os.path.abspath(path))
    try:
        dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        return None, f"the notebook could not be read ({exc.strerror})"
    try:
        return read_file(name, dfd, max_bytes, f"the notebook {name}"), None
    except Refused as exc:
        return None, str(exc)
    except OSError as exc:
        return None, f"the notebook could not be read ({exc.strerror})"
    finally:
        os.close(dfd)


def students_in(submissions: str) -> list[str]:
    """Every entry of the submissions folder that is a folder or a link (a link is listed
    so that its student is told it was refused); plain files and hidden entries are not."""
    if not os.path.isdir(submissions):
        raise ValueError(f"submissions: expected a folder <student>/<assignment>/<notebook>.ipynb, "
                         f"got {submissions!r} (not a folder)")
    out = []
    with os.scandir(submissions) as entries:
        for e in entries:
            if not e.name.startswith(".") and (e.is_dir(follow_symlinks=False) or e.is_symlink()):
                out.append(e.name)
    return sorted(out)


def find_notebook(submissions: str, student: str, assignment: str, notebook: str, max_bytes: int) -> Found:
    """The notebook a student submitted for ``notebook``, tolerating a renamed file."""
    root = os.open(submissions, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fds = [root]
    try:
        try:
            fds.append(_open_dir(student, root, f"the folder {student}/"))
            try:
                fds.append(_open_dir(assignment, fds[-1], f"{assignment}/"))
            except FileNotFoundError:
                return Found(None, None, missing=True, note=f"no folder {assignment}/ was submitted")
            folder = fds[-1]
            want = notebook + ".ipynb"
            names = sorted(os.listdir(folder))
            if want in names:
                name, note = want, None
            else:
                candidates = [n for n in names if n.endswith(".ipynb")]
                if len(candidates) != 1:
                    return Found(None, None, missing=True, note=f"{want} is missing" + (
                        f" (found {', '.join(candidates)})" if candidates else ""))
                name, note = candidates[0], f"graded {candidates[0]} in place of {want}"
            return Found(name, read_file(name, folder, max_bytes, name), note=note)
        except Refused as exc:
            return Found(None, None, problem=f"refused: {exc}")
        except OSError as exc:
            return Found(None, None, problem=f"the submission could not be read ({exc.strerror})")
    finally:
        for fd in fds:
            os.close(fd)


def copy_tree(submissions: str, student: str, assignment: str, dest: str, max_bytes: int) -> list[str]:
    """Copy a student's assignment folder (plain files and folders only) to ``dest``.
    Returns what was left out and why."""
    skipped = []

    def walk(dfd: int, rel: str, out: str) -> None:
        os.makedirs(out, exist_ok=True)
        for name in sorted(os.listdir(dfd)):
            st = os.lstat(name, dir_fd=dfd)
            shown = os.path.join(rel, name)
            if stat.S_ISDIR(st.st_mode):
                sub = os.open(name, _DIR_FLAGS, dir_fd=dfd)
                try:
                    walk(sub, shown, os.path.join(out, name))
                finally:
                    os.close(sub)
            else:
                try:
                    data = read_file(name, dfd, max_bytes, shown)
                except (Refused, OSError) as exc:
                    skipped.append(f"{shown}: {exc}")
                    continue
                with open(os.path.join(out, name), "xb") as f:
                    f.write(data)

    root = os.open(submissions, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fds = [root]
    try:
        fds.append(_open_dir(student, root, f"{student}/"))
        fds.append(_open_dir(assignment, fds[-1], f"{assignment}/"))
        walk(fds[-1], assignment, dest)
    except FileNotFoundError:
        pass
    except (Refused, OSError) as exc:
        skipped.append(str(exc))
    finally:
        for fd in fds:
            os.close(fd)
    return skipped


#: what nbgrader's exchange keeps beside a submitted notebook; ``release_feedback`` needs both
EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")


def copy_exchange_files(submitted: str, graded: str, max_bytes: int = 4096) -> list[str]:
    """Copy nbgrader's exchange files (:data:`EXCHANGE_FILES`) from a student's folder under
    ``grading/submitted`` to their autograded folder, as stock ``autograde`` does. Each is
    read with ``O_NOFOLLOW`` and a size cap; a link, a folder or an oversized file is left
    out. Returns the names copied."""
    copied = []
    if not os.path.isdir(submitted):
        return copied
    dfd = os.open(submitted, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        for name in EXCHANGE_FILES:
            try:
                data = read_file(name, dfd, max_bytes, name)
            except (Refused, OSError):
                continue
            os.makedirs(graded, exist_ok=True)
            target = os.path.join(graded, name)
            tmp = f"{target}.{os.getpid()}.tmp"
            with open(tmp, "xb") as f:
                f.write(data)
            os.replace(tmp, target)
            copied.append(name)
    finally:
        os.close(dfd)
    return copied

"""The learner's working copy ``work/``: seeded from ``course/``, never written over.

``make lab`` calls ``python -m autograder.workcopy`` before it opens JupyterLab on
``work/`` (git-ignored). The rules, for every file of every chapter folder in ``course/``:

- missing from ``work/``  -> copied in (a new chapter, a new data file, or one the learner
  deleted to start again);
- the same bytes          -> nothing to do;
- different, and the course file is the one seeded last time -> the learner's edits:
  left alone;
- different, and the course file changed since it was seeded (a ``git pull``, a
  ``release``) -> the new version is placed *beside* the learner's file as
  ``<name>.updated-<hash>.ipynb``; the learner's file is never touched.

Files are created with exclusive creation (``open(..., "xb")``), so no code path here can
replace an existing file. What was seeded is remembered in ``work/.workcopy.json``
(course file -> content hash). Nothing else in the project writes under ``work/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

MANIFEST = ".workcopy.json"
#: folders and files of course/ that are not course material
SKIP = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}


def _digest(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def _copy_new(src: str, dst: str) -> None:
    """Copy ``src`` to ``dst``, which must not exist (raises FileExistsError otherwise)."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        fout.write(fin.read())


def updated_name(rel: str, digest: str) -> str:
    """``ch02/ch02.ipynb`` -> ``ch02/ch02.updated-<first 10 hex digits>.ipynb``."""
    stem, ext = os.path.splitext(rel)
    return f"{stem}.updated-{digest[:10]}{ext}"


def course_files(course: str) -> list[str]:
    """Paths relative to ``course`` of every file in its chapter folders, sorted."""
    found = []
    for chapter in sorted(os.listdir(course)):
        top = os.path.join(course, chapter)
        if chapter in SKIP or chapter.startswith(".") or not os.path.isdir(top):
            continue
        for folder, dirs, files in os.walk(top):
            dirs[:] = sorted(d for d in dirs if d not in SKIP and not d.startswith("."))
            for name in sorted(files):
                if name not in SKIP and not name.startswith("."):
                    found.append(os.path.relpath(os.path.join(folder, name), course))
    return found


def sync(course: str, work: str) -> dict[str, list[str]]:
    """Bring ``work`` up to date with ``course`` without changing any file already there.

    Returns ``{"copied": [...], "updated": [...], "kept": [...]}``: paths relative to
    ``work`` of new files, of new versions placed beside the learner's, and of learner
    files left as they are although they differ from the course.
    """
    if not os.path.isdir(course):
        raise ValueError(f"course: expected the folder of released chapters, got {course!r} (not a folder)")
    if os.path.exists(work) and not os.path.isdir(work):
        raise ValueError(f"work: expected a folder (or nothing yet), got {work!r} (a file)")
    os.makedirs(work, exist_ok=True)
    manifest_path = os.path.join(work, MANIFEST)
    try:
        with open(manifest_path) as f:
            seeded = json.load(f)
    except (FileNotFoundError, ValueError):
        seeded = {}
    done: dict[str, list[str]] = {"copied": [], "updated": [], "kept": []}
    for rel in course_files(course):
        src, dst = os.path.join(course, rel), os.path.join(work, rel)
        digest = _digest(src)
        if not os.path.lexists(dst):
            _copy_new(src, dst)
            done["copied"].append(rel)
        elif os.path.isfile(dst) and not os.path.islink(dst) and _digest(dst) == digest:
            pass
        elif seeded.get(rel) in (None, digest):
            # the course has not changed since this file was seeded: the difference is
            # the learner's work (or the learner made the file before any seeding)
            if rel not in seeded:
                seeded[rel] = digest
            done["kept"].append(rel)
            continue
        else:
            beside = updated_name(rel, digest)
            if not os.path.lexists(os.path.join(work, beside)):
                _copy_new(src, os.path.join(work, beside))
                done["updated"].append(beside)
        seeded[rel] = digest
    tmp = manifest_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(seeded, f, indent=1, sort_keys=True)
    os.replace(tmp, manifest_path)
    return done


def main(argv=None) -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p = argparse.ArgumentParser(prog="python -m autograder.workcopy", description=__doc__.split("\n\n")[0])
    p.add_argument("--course", default=os.path.join(root, "course"), help="released chapters (default: course/)")
    p.add_argument("--work", default=os.path.join(root, "work"), help="the learner's copy (default: work/)")
    args = p.parse_args(argv)
    try:
        done = sync(args.course, args.work)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for rel in done["copied"]:
        print(f"new: {os.path.join(args.work, rel)}")
    for rel in done["updated"]:
        print(f"updated version placed beside your notebook (yours is unchanged): {os.path.join(args.work, rel)}")
    print(f"working copy: {args.work} ({len(done['copied'])} new, {len(done['updated'])} updated beside yours)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

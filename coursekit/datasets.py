"""Offline datasets for the application chapter, and the loaders that check them.

Every file lives in ``coursekit/data/`` (see its README.md for source, licence and how
each file was produced) and is verified against a SHA-256 digest recorded here before it
is parsed: a missing file raises :class:`FileNotFoundError`, a changed or truncated one
:class:`DatasetError`, both naming the file. Nothing is ever downloaded.

- :func:`load_sunspots`: yearly mean sunspot numbers, 1700-2008.
- :func:`load_digits`: 1797 handwritten digits as 8x8 images of counts 0..16.
- :func:`python_source_corpus`: text of the running interpreter's own standard library.
- :func:`date_format_pairs`: generated ("3 march 1998", "1998-03-03") pairs for seq2seq.

Only the standard library and NumPy are imported.
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import io
import os
import sysconfig

import numpy as np

__all__ = ["DatasetError", "DATA_DIR", "load_sunspots", "load_digits", "python_source_corpus",
           "date_format_pairs", "MONTHS"]

#: the folder of the shipped files (tests point it elsewhere to simulate damage)
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")

#: file name -> SHA-256 of its bytes, as shipped
CHECKSUMS = {
    "sunspots.csv": "74b8e3acb9886b68abe9c56f6081257d522e2cb2470f17dbf597b396f4ea1706",
    "digits.csv.gz": "da641a8e44e4c761ca4ab0642f78ff59fc65b109048a7b4c982c2a44870fba9a",
}

MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")


class DatasetError(RuntimeError):
    """A shipped data file is present but is not the file that was shipped."""


def _read_verified(name: str) -> bytes:
    """The bytes of ``DATA_DIR/name`` after checking them against :data:`CHECKSUMS`."""
    path = os.path.join(DATA_DIR, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"coursekit data file {name!r} is missing (looked for {path}); reinstall the course "
            f"package (pip install -e .) or restore the file from the repository")
    with open(path, "rb") as f:
        raw = f.read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != CHECKSUMS[name]:
        raise DatasetError(
            f"coursekit data file {name!r} is corrupted or was modified ({path}: SHA-256 "
            f"{digest[:12]}..., expected {CHECKSUMS[name][:12]}...); restore it from the repository")
    return raw


def load_sunspots() -> tuple[np.ndarray, np.ndarray]:
    """Yearly mean total sunspot number, 1700 to 2008 (309 years, no gaps).

    Returns:
        years: (T,) int64, 1700 ... 2008, consecutive.
        counts: (T,) float64 >= 0, the sunspot number of each year.
    """
    text = _read_verified("sunspots.csv").decode("ascii")
    lines = text.strip().split("\n")
    if lines[0] != "year,sunspots":
        raise DatasetError(f"coursekit data file 'sunspots.csv': unexpected header {lines[0]!r}")
    table = np.array([[float(v) for v in ln.split(",")] for ln in lines[1:]])    # (T, 2)
    return table[:, 0].astype(np.int64), table[:, 1]


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """1797 handwritten digits (UCI optical recognition, the test part), 8x8 pixels.

    Each pixel counts the "on" pixels of a 4x4 block of a 32x32 bitmap, so it is an integer
    in 0..16. Read row by row, an image is a sequence of T = 8 steps of D = 8 features.

    Returns:
        images: (N, 8, 8) float64 in [0, 16], N = 1797; ``images[n, r]`` is row r.
        labels: (N,) int64 in 0..9.
    """
    text = gzip.decompress(_read_verified("digits.csv.gz")).decode("ascii")
    table = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, dtype=np.int64)  # (N, 65)
    return table[:, :64].reshape(-1, 8, 8).astype(np.float64), table[:, 64]       # (N, 8, 8), (N,)


def _stdlib_files(root: str) -> list[str]:
    """The standard library's .py files under ``root``, as sorted relative paths; tests,
    site-packages, IDLE and other tool folders left out."""
    skip = {"site-packages", "dist-packages", "test", "tests", "idlelib", "lib2to3", "turtledemo",
            "__pycache__", "ensurepip", "venv", "tkinter", "pydoc_data", "encodings"}
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in skip and not d.startswith("."))
        for name in files:
            if name.endswith(".py"):
                found.append(os.path.relpath(os.path.join(folder, name), root))
    return sorted(found)


def python_source_corpus(max_chars: int = 200_000) -> str:
    """Text from the running interpreter's own standard library, for a character-level model.

    The ``.py`` files of the standard library folder (``sysconfig``'s ``"stdlib"`` path)
    are read in sorted path order; files that are not pure ASCII are skipped, tabs become
    four spaces and the files are joined by a blank line until ``max_chars`` characters.
    The same interpreter always gives the same text; another Python version gives other text.

    Args:
        max_chars: int >= 1000, the length of the returned text.

    Returns:
        text: str of exactly ``max_chars`` ASCII characters (printable, newline).

    Raises:
        ValueError: ``max_chars`` is not an int >= 1000.
        FileNotFoundError: the standard library folder has too little readable source.
    """
    if isinstance(max_chars, bool) or not isinstance(max_chars, (int, np.integer)) or max_chars < 1000:
        raise ValueError(f"max_chars: expected an int >= 1000, got {max_chars!r}")
    max_chars = int(max_chars)
    root = sysconfig.get_paths()["stdlib"]
    parts, total = [], 0
    for rel in _stdlib_files(root):
        try:
            with open(os.path.join(root, rel), "rb") as f:
                text = f.read().decode("ascii")
        except (OSError, UnicodeDecodeError):
            continue
        text = text.replace("\r\n", "\n").replace("\t", "    ")
        text = "".join(ch for ch in text if ch == "\n" or " " <= ch <= "~")
        parts.append(text.strip("\n") + "\n\n")
        total += len(parts[-1])
        if total >= max_chars:
            return "".join(parts)[:max_chars]
    raise FileNotFoundError(
        f"python_source_corpus: the standard library folder {root} holds only {total} characters "
        f"of ASCII .py source; asked for max_chars={max_chars}")


def _day_month_year(rng: np.random.Generator, first: int, last: int) -> datetime.date:
    span = (datetime.date(last, 12, 31) - datetime.date(first, 1, 1)).days
    return datetime.date(first, 1, 1) + datetime.timedelta(days=int(rng.integers(0, span + 1)))


def date_format_pairs(n: int, rng: np.random.Generator, first_year: int = 1950,
                      last_year: int = 2049) -> list[tuple[str, str]]:
    """``n`` random dates written two ways: ("3 march 1998", "1998-03-03").

    The source is one of three spoken-style layouts, chosen at random per date:
    ``"3 march 1998"``, ``"march 3, 1998"`` and ``"3/3/1998"`` (day/month/year, no zero
    padding); the target is always ISO 8601, ``"YYYY-MM-DD"``. Dates are uniform over the
    days of ``first_year``..``last_year``.

    Args:
        n: int >= 1, number of pairs.
        rng: np.random.Generator (the caller's seeded generator).
        first_year, last_year: ints, 1 <= first_year <= last_year <= 9999.

    Returns:
        list of n (source str, target str) pairs, lowercase ASCII.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected an int >= 1, got {n!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    if not (1 <= first_year <= last_year <= 9999):
        raise ValueError(f"first_year, last_year: expected 1 <= first_year <= last_year <= 9999, "
                         f"got {first_year!r}, {last_year!r}")
    pairs = []
    for _ in range(int(n)):
        d = _day_month_year(rng, first_year, last_year)
        month = MONTHS[d.month - 1]
        layout = int(rng.integers(0, 3))
        if layout == 0:
            src = f"{d.day} {month} {d.year}"
        elif layout == 1:
            src = f"{month} {d.day}, {d.year}"
        else:
            src = f"{d.day}/{d.month}/{d.year}"
        pairs.append((src, d.isoformat()))
    return pairs

"""coursekit.datasets: the shipped files load with their documented shapes, a missing or
damaged file is refused with its name, and the generated corpora are deterministic."""

import gzip
import os
import shutil
import sysconfig

import numpy as np
import pytest

from coursekit import datasets

DATA = os.path.join(os.path.dirname(datasets.__file__), "data")


def test_sunspots_are_309_consecutive_years_with_a_cycle_near_11_years():
    years, counts = datasets.load_sunspots()
    assert years.dtype == np.int64 and counts.dtype == np.float64
    assert years.shape == counts.shape == (309,)
    assert years[0] == 1700 and np.all(np.diff(years) == 1)
    assert counts.min() >= 0 and 150 < counts.max() < 250
    # the solar cycle: the autocorrelation peaks between 9 and 13 years
    z = counts - counts.mean()
    ac = np.array([z[:-k] @ z[k:] / (z @ z) for k in range(1, 20)])
    assert 9 <= 1 + int(np.argmax(ac[5:])) + 5 <= 13


def test_digits_are_8x8_counts_with_ten_balanced_classes():
    images, labels = datasets.load_digits()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.dtype == np.float64 and labels.dtype == np.int64
    assert images.min() == 0 and images.max() == 16 and np.all(images == np.round(images))
    counts = np.bincount(labels, minlength=10)
    assert counts.size == 10 and counts.min() >= 170
    # each class has its own mean image: a nearest-mean classifier is far above chance
    means = np.stack([images[labels == k].mean(0) for k in range(10)])        # (10, 8, 8)
    pred = np.argmin(((images[:, None] - means[None]) ** 2).sum((2, 3)), axis=1)
    assert (pred == labels).mean() > 0.8


def test_shipped_data_stays_small_and_every_file_is_documented():
    files = sorted(f for f in os.listdir(DATA) if f != "README.md" and not f.startswith("."))
    assert set(files) == set(datasets.CHECKSUMS)
    assert sum(os.path.getsize(os.path.join(DATA, f)) for f in files) < 200_000
    readme = open(os.path.join(DATA, "README.md")).read()
    for f in files:
        assert f"`{f}`" in readme
    assert "Licence" in readme and "CC BY 4.0" in readme and "public domain" in readme


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    for f in datasets.CHECKSUMS:
        shutil.copy(os.path.join(DATA, f), tmp_path / f)
    monkeypatch.setattr(datasets, "DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("name, loader", [("sunspots.csv", "load_sunspots"), ("digits.csv.gz", "load_digits")])
def test_a_missing_file_is_named(data_copy, name, loader):
    getattr(datasets, loader)()                       # the copies load
    os.remove(data_copy / name)
    with pytest.raises(FileNotFoundError, match=name.replace(".", r"\.")):
        getattr(datasets, loader)()


@pytest.mark.parametrize("name, loader", [("sunspots.csv", "load_sunspots"), ("digits.csv.gz", "load_digits")])
def test_a_corrupted_or_truncated_file_is_named(data_copy, name, loader):
    path = data_copy / name
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(datasets.DatasetError, match=name.replace(".", r"\.")):
        getattr(datasets, loader)()
    flipped = bytearray(raw)
    flipped[len(raw) // 3] ^= 0x01
    path.write_bytes(bytes(flipped))
    with pytest.raises(datasets.DatasetError, match="corrupted"):
        getattr(datasets, loader)()


def test_a_valid_gzip_of_other_content_is_refused_too(data_copy):
    (data_copy / "digits.csv.gz").write_bytes(gzip.compress(b"label\n1\n"))
    with pytest.raises(datasets.DatasetError, match="digits"):
        datasets.load_digits()


def test_python_source_corpus_is_deterministic_ascii_from_the_stdlib():
    a = datasets.python_source_corpus(20_000)
    b = datasets.python_source_corpus(20_000)
    assert a == b and len(a) == 20_000
    assert all(ch == "\n" or " " <= ch <= "~" for ch in a)
    assert "def " in a and "import " in a
    # a longer corpus starts with the shorter one (same order, only cut later)
    assert datasets.python_source_corpus(30_000).startswith(a)
    # the text really comes from the interpreter's stdlib folder
    first = datasets._stdlib_files(sysconfig.get_paths()["stdlib"])[0]
    assert "test" not in first.split(os.sep)


@pytest.mark.parametrize("bad", [999, 0, -5, 2.5e4, "1000", True, None])
def test_python_source_corpus_refuses_bad_lengths(bad):
    with pytest.raises(ValueError, match="max_chars"):
        datasets.python_source_corpus(bad)


def test_date_pairs_are_seeded_and_the_target_is_the_iso_date_of_the_source():
    p1 = datasets.date_format_pairs(300, np.random.default_rng(5))
    p2 = datasets.date_format_pairs(300, np.random.default_rng(5))
    assert p1 == p2 and len(p1) == 300
    assert p1 != datasets.date_format_pairs(300, np.random.default_rng(6))
    layouts = set()
    for src, tgt in p1:
        y, m, d = (int(v) for v in tgt.split("-"))
        assert len(tgt) == 10 and 1950 <= y <= 2049
        month = datasets.MONTHS[m - 1]
        candidates = {f"{d} {month} {y}": 0, f"{month} {d}, {y}": 1, f"{d}/{m}/{y}": 2}
        assert src in candidates, (src, tgt)
        layouts.add(candidates[src])
    assert layouts == {0, 1, 2}


@pytest.mark.parametrize("kwargs, word", [({"n": 0}, "n"), ({"n": 3.0}, "n"), ({"rng": 3}, "rng"),
                                          ({"first_year": 2000, "last_year": 1999}, "first_year")])
def test_date_pairs_refuse_bad_arguments(kwargs, word):
    args = {"n": 3, "rng": np.random.default_rng(0), **kwargs}
    with pytest.raises(ValueError, match=word):
        datasets.date_format_pairs(**args)


def test_the_loaders_import_neither_torch_nor_matplotlib():
    import subprocess
    import sys

    code = ("import sys, coursekit.datasets as d; d.load_sunspots(); d.load_digits(); "
            "print(sorted(m for m in ('torch', 'matplotlib', 'rnn_ref') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout

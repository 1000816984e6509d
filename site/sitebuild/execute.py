"""Execute the solution notebooks, in parallel, with a cache keyed by content.

The site shows every figure as it looks once the exercises are done, so it needs
each SOLUTION notebook executed. That is the whole cost of a build; a result is
therefore kept under the cache folder, named by a hash of the notebook's bytes and
of the training budget, and reused until either changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

# Bump when the way notebooks are executed changes, so old cache entries are not reused.
CACHE_FORMAT = "1"
# seconds each notebook took last time: the longest are started first
TIMINGS = "timings.json"


@dataclass
class Executed:
    """One executed solution notebook: where it came from and what it cost."""

    name: str
    path: Path          # the cached, executed notebook
    cached: bool        # True when reused without running anything
    seconds: float      # wall time of the execution (0 when cached)
    cpu_seconds: float = 0.0  # CPU time of its kernel (0 when cached)


def _load_timings(cache_dir: Path) -> dict[str, float]:
    try:
        return {k: float(v) for k, v in json.loads((cache_dir / TIMINGS).read_text()).items()}
    except (OSError, ValueError, AttributeError):
        return {}


def cache_key(source: Path, budget: str) -> str:
    """The content hash that names a notebook's cache entry."""
    digest = hashlib.sha256()
    digest.update(CACHE_FORMAT.encode())
    digest.update(b"\0budget=" + budget.encode() + b"\0")
    digest.update(source.read_bytes())
    return digest.hexdigest()[:20]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_one(source: str, target: str, budget: str, cell_timeout: int) -> tuple[float, float]:
    """Execute one notebook in its own folder and write it, executed, to target.

    Returns (wall seconds, CPU seconds of the kernel, which is this process's child).
    """
    from nbclient import NotebookClient

    # Kernels inherit the environment: one BLAS thread each, since two run at once.
    os.environ["RNN_COURSE_BUDGET"] = budget
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    start, cpu_start = time.perf_counter(), _children_cpu()
    nb = nbformat.read(source, as_version=4)
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(Path(source).parent)}},
    )
    client.execute()
    tmp = Path(target).with_suffix(".tmp")
    nbformat.write(nb, str(tmp))
    tmp.replace(target)          # atomic: a killed build never leaves half an entry
    return time.perf_counter() - start, _children_cpu() - cpu_start


def execute_all(sources: dict[str, Path], cache_dir: Path, *, budget: str = "1",
                jobs: int = 2, fresh: bool = False, cell_timeout: int = 600,
                log=print) -> dict[str, Executed]:
    """Execute every notebook of `sources` (name -> path) that the cache lacks.

    Up to `jobs` notebooks run at once, each in its own process and kernel. Returns
    name -> Executed. An execution error propagates (the build must fail).
    """
    if jobs < 1:
        raise ValueError(f"jobs: expected an integer >= 1, got {jobs!r}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    done: dict[str, Executed] = {}
    todo: dict[str, Path] = {}
    for name, source in sources.items():
        target = cache_dir / f"{name}-{cache_key(source, budget)}.ipynb"
        if target.exists() and not fresh:
            done[name] = Executed(name, target, True, 0.0)
        else:
            todo[name] = target
    if todo:
        # longest first (as last measured), so two processes finish together
        timings = _load_timings(cache_dir)
        todo = dict(sorted(todo.items(), key=lambda item: -timings.get(item[0], 0.0)))
        log(f"executing {len(todo)} solution notebook(s) with {min(jobs, len(todo))} process(es), "
            f"RNN_COURSE_BUDGET={budget}: {', '.join(todo)}")
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo))) as pool:
            futures = {name: pool.submit(_run_one, str(sources[name]), str(target), budget, cell_timeout)
                       for name, target in todo.items()}
            for name, future in futures.items():
                seconds, cpu = future.result()
                log(f"  {name}: {seconds:.1f} s ({cpu:.1f} s CPU)")
                done[name] = Executed(name, todo[name], False, seconds, cpu)
                timings[name] = round(seconds, 1)
        (cache_dir / TIMINGS).write_text(json.dumps(timings, indent=1, sort_keys=True) + "\n")
    # Drop stale entries of these notebooks so the cache does not grow without bound.
    keep = {e.path.name for e in done.values()}
    for name in sources:
        for old in cache_dir.glob(f"{name}-*.ipynb"):
            if old.name not in keep:
                old.unlink()
    return {name: done[name] for name in sources}

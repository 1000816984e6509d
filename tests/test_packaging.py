"""The repository's promises about itself: dependencies in step, README commands true."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

# conda names the same package differently in a few places
CONDA_TO_PIP = {"pytorch": "torch"}


def _split(spec: str):
    name, op, version = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(==|>=|<=|=|~=)?\s*(.*)$", spec).groups()
    name = CONDA_TO_PIP.get(name.lower(), name.lower())
    op = "==" if op == "=" else op
    return name, (op or "") + version


def pyproject_deps() -> dict:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    deps = list(data["project"]["dependencies"]) + list(data["project"]["optional-dependencies"]["test"])
    return dict(_split(d) for d in deps)


def conda_deps() -> dict:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("dependencies:")
    deps = {}
    for line in lines[start + 1:]:
        m = re.match(r"^  - ([^:\s][^:]*)$", line)
        if m and not m.group(1).startswith(("python", "pip")):
            name, spec = _split(m.group(1))
            deps[name] = spec
    return deps


def test_environment_yml_matches_pyproject():
    assert conda_deps() == pyproject_deps()


def test_python_floor_is_310():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["requires-python"] == ">=3.10"
    assert "python>=3.10" in (ROOT / "environment.yml").read_text()


def readme_commands():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start\n(.*?)\n## ", text, re.S).group(1)
    return re.findall(r"^\s*(make \w+)\s*(?:#.*)?$", block, re.M)


def test_readme_gives_exactly_two_commands_and_ci_runs_the_test_one():
    commands = readme_commands()
    assert commands == ["make lab", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call the README's test command"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^lab:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_nbgrader_config_has_no_absolute_paths():
    text = (ROOT / "nbgrader_config.py").read_text()
    assert not re.search(r"['\"]/(?:home|root|work|tmp|Users)", text)


def test_nbgrader_config_is_at_the_course_root_only():
    assert (ROOT / "nbgrader_config.py").exists()
    assert not (ROOT / "autograder" / "nbgrader_config.py").exists()


def _make_n(*args) -> str:
    import subprocess

    out = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout


def test_make_lab_opens_the_learners_copy_and_instructor_prints_formgrader_url():
    lab = _make_n("lab", "PORT=9123", "TOKEN=tok")
    assert "python -m autograder.workcopy" in lab
    assert "--ServerApp.root_dir=work" in lab and "--ServerApp.port=9123" in lab
    assert 'token="tok"' in lab and "/lab?token=" in lab
    instructor = _make_n("instructor", "PORT=9124", "TOKEN=tok")
    assert "python -m autograder gradebook --demo" in instructor
    assert "--ServerApp.root_dir=." in instructor and "--ServerApp.port=9124" in instructor
    assert "/formgrader?token=" in instructor
    # the environment's scripts (alembic) first on PATH for both servers
    bindir = str(ROOT / ".venv" / "bin")
    assert f'PATH="{bindir}:$PATH"' in lab and f'PATH="{bindir}:$PATH"' in instructor


def test_the_learners_working_copy_is_git_ignored():
    """git itself says a notebook in the learner's copy is ignored (asked, not string-matched)."""
    probe = subprocess.run(["git", "check-ignore", "-q", "work/ch02_tanh_recurrence/ch02_tanh_recurrence.ipynb"],
                           cwd=ROOT, capture_output=True)
    assert probe.returncode == 0, "work/ is not git-ignored"


def test_readme_stands_alone():
    """The README is read by people who cloned only this repository: every relative link
    resolves inside it, and nothing points at a folder outside it."""
    text = (ROOT / "README.md").read_text()
    assert "../" not in text and "shared/" not in text
    for target in re.findall(r"\]\(([^)#\s]+)", text):
        if "://" in target:
            continue
        assert (ROOT / target).exists(), f"README links to {target}, which is not in the repository"

"""nbgrader configuration of the course: the one file, at the course root, no absolute paths.

This folder (the repository root) is nbgrader's course directory, so every stock command
works from here with no environment variable: ``nbgrader generate_assignment``, ``db``,
``autograde``, ``generate_feedback``, ``export``, ``validate``, the exchange commands and
Formgrader (``make instructor``). ``solutions/`` is the *source* step and ``course/`` the
*release* step. Everything grading writes (submitted copies, autograded notebooks,
feedback, the gradebook) goes under ``grading/`` (git-ignored), so grading never changes
the repository.

Environment variables (all optional):
    RNN_COURSE_ROOT      another copy of the course (``python -m autograder --root`` sets it)
    RNN_COURSE_EXCHANGE  the exchange folder of a class (JupyterHub: a folder every user
                         can reach, e.g. /srv/nbgrader/exchange); default grading/exchange
"""

import importlib.util
import os
import sys

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

# nbgrader's gradebook runs the `alembic` script of its own environment when it creates a
# database; a Jupyter started by path (.venv/bin/jupyter, not activated) lacks it on PATH
# and Formgrader fails ("FileNotFoundError: 'alembic'"). This file runs inside every
# nbgrader process, the Formgrader server included: put the environment's scripts first.
_BIN = os.path.dirname(sys.executable)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")

ROOT = os.environ.get("RNN_COURSE_ROOT") or os.path.dirname(os.path.abspath(__file__))
COURSE_ID = "rnn-course"

c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = COURSE_ID
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = os.path.join("grading", "submitted")
c.CourseDirectory.autograded_directory = os.path.join("grading", "autograded")
c.CourseDirectory.feedback_directory = os.path.join("grading", "feedback")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "grading", "gradebook.db")
# sqlite makes the gradebook file but not its folder (git-ignored; made on first use)
os.makedirs(os.path.join(ROOT, "grading"), exist_ok=True)

# The exchange (release_assignment, fetch_assignment, submit, collect, feedback): a class on
# JupyterHub points RNN_COURSE_EXCHANGE at its shared folder; alone, a private one.
if os.environ.get("RNN_COURSE_EXCHANGE"):
    c.Exchange.root = os.environ["RNN_COURSE_EXCHANGE"]
else:
    c.Exchange.root = os.path.join(ROOT, "grading", "exchange")
    if not os.path.isdir(c.Exchange.root):  # as nbgrader makes it: every user may deliver into it
        os.makedirs(c.Exchange.root, exist_ok=True)
        os.chmod(c.Exchange.root, 0o777)

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Stock autograde (the `--engine nbgrader` baseline): per-cell limit, no interrupt grace.
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.interrupt_on_timeout = True

# Stock autograde compares a test cell with its source *including* the hidden tests the
# student never received, and warns about every untouched cell (nbgrader issue 1961); this
# variant knows the released form and still warns about real changes.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.nbgrader_ext.OverwriteCellsKnowingHiddenTests",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback never shows hidden tests (nbgrader's default would); formulas are MathML made
# ahead of time (no MathJax from a CDN) and long messages wrap, so it reads the same offline.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
    "autograder.feedback_html.OfflineFeedback",
]
_NBGRADER_TEMPLATES = os.path.join(importlib.util.find_spec("nbgrader").submodule_search_locations[0],
                                   "server_extensions", "formgrader", "templates")
c.GenerateFeedback.HTMLExporter.template_name = "feedback_offline"
c.GenerateFeedback.HTMLExporter.extra_template_basedirs = [
    os.path.join(importlib.util.find_spec("autograder").submodule_search_locations[0], "templates"),
    _NBGRADER_TEMPLATES]

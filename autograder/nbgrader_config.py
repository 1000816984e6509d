"""nbgrader configuration of the course: the one file, no absolute paths.

The repository root is nbgrader's course directory; ``solutions/`` is the *source*
step and ``course/`` the *release* step. Everything grading writes (submitted copies,
autograded notebooks, feedback, the gradebook) goes under ``grading/`` (git-ignored),
so the repository itself is never changed by grading. ``RNN_COURSE_ROOT`` moves the
whole course directory (the tests grade a temporary copy this way).

nbgrader finds this file through ``python -m autograder``, which puts this folder first
on ``JUPYTER_CONFIG_PATH``, so the tool works from any working directory. To run
nbgrader by hand: ``JUPYTER_CONFIG_PATH=autograder nbgrader <command>``.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

ROOT = os.environ.get("RNN_COURSE_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = "rnn-course"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = os.path.join("grading", "submitted")
c.CourseDirectory.autograded_directory = os.path.join("grading", "autograded")
c.CourseDirectory.feedback_directory = os.path.join("grading", "feedback")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "grading", "gradebook.db")

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Stock autograde (the `--engine nbgrader` baseline): per-cell limit, no interrupt grace.
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.interrupt_on_timeout = True

# Feedback never shows hidden tests (nbgrader's default would).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "nbgrader.preprocessors.ClearHiddenTests",
]

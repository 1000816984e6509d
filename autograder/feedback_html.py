"""Feedback HTML that reads the same offline: formulas as MathML, long messages wrapped.

``nbgrader_config.py`` adds :class:`OfflineFeedback` to ``GenerateFeedback``'s
preprocessors and selects the template ``templates/feedback_offline`` (nbgrader's own
feedback page without the MathJax script it would load from a CDN):

- every ``$...$`` / ``$$...$$`` in a markdown cell becomes MathML ahead of time
  (latex2mathml, a pure-Python package the course installs); browsers draw MathML
  natively, so nothing is fetched when the student opens the file;
- outputs wrap (``white-space: pre-wrap``): a long diagnosis is never cut off at the
  edge of the page.

The LaTeX-to-MathML conversion is :mod:`autograder.mathml`, the one the course site uses
too, so that both render formulas the same way.
"""

from __future__ import annotations

import os

from nbconvert.preprocessors import Preprocessor
from traitlets import default

from .mathml import MathError, render_math

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
TEMPLATE_NAME = "feedback_offline"

#: added to the page's inline CSS: outputs and messages wrap instead of running off the page
WRAP_CSS = """
div.output_area pre, div.output_text pre, div.output_subarea pre, .output pre, pre {
  white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal;
}
div.output_subarea { max-width: 100%; overflow-x: visible; }
math[display="block"] { display: block; margin: 0.6em 0; overflow-x: auto; }
"""


class OfflineFeedback(Preprocessor):
    """Markdown formulas to MathML; wrapping CSS into the page's inline styles."""

    @default("enabled")
    def _enabled_default(self):  # nbconvert skips a preprocessor that is not enabled
        return True

    def preprocess(self, nb, resources):
        for cell in nb.cells:
            if cell.cell_type == "markdown" and "$" in cell.source:
                try:
                    cell.source = render_math(cell.source)[0]
                except MathError as exc:
                    self.log.warning("formula left as LaTeX: %s", exc)
        inlining = resources.setdefault("inlining", {})
        inlining.setdefault("css", []).append(WRAP_CSS)
        return nb, resources

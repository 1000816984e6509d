"""Math in markdown, rendered ahead of time to MathML (no script, no network).

Browsers draw MathML Core natively (Chromium 109+, Firefox, Safari), so the site needs
no MathJax or KaTeX at all. `$...$` is inline math and `$$...$$` display math, as in
Jupyter; dollars inside code spans and fenced code blocks are left alone, and `\\$`
is a literal dollar.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

# Code that must not be touched: fenced blocks first, then inline code spans.
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
# inline math may wrap onto the next line, but never across a blank line
_INLINE = re.compile(r"(?<![\\$])\$(?!\s)((?:[^$\n]|\n(?!\s*\n))+?)(?<![\s\\])\$(?!\$)")


class MathError(ValueError):
    """A formula latex2mathml cannot convert."""


def _latex_to_mathml(latex: str, display: str) -> str:
    cleaned = latex.strip()
    try:
        out = convert(cleaned, display=display)
    except Exception as exc:  # latex2mathml raises many types; report the formula
        raise MathError(f"cannot convert {latex.strip()!r} to MathML: {exc}") from exc
    unknown = re.findall(r">(\\[A-Za-z]+)<", out)
    if unknown:  # latex2mathml passes commands it does not know through as text
        raise MathError(f"cannot convert {cleaned!r} to MathML: unknown command {unknown[0]}")
    alt = html.escape(cleaned, quote=True)
    return out.replace("<math ", f'<math alttext="{alt}" ', 1)


def render_math(markdown: str) -> tuple[str, int]:
    """Replace every formula in `markdown` by MathML; return (text, formulas converted).

    Raises MathError naming the formula that failed, so a build never ships raw LaTeX.
    """
    if not isinstance(markdown, str):
        raise ValueError(f"markdown: expected a str, got {type(markdown).__name__}")
    protected: list[str] = []

    def protect(match: re.Match) -> str:
        protected.append(match.group(0))
        return f"\x00{len(protected) - 1}\x00"

    text = _FENCE.sub(protect, markdown)
    text = _CODE_SPAN.sub(protect, text)
    count = 0

    def display(match: re.Match) -> str:
        nonlocal count
        count += 1
        # a blank line on each side keeps the block out of any paragraph
        return "\n\n" + _latex_to_mathml(match.group(1), "block") + "\n\n"

    def inline(match: re.Match) -> str:
        nonlocal count
        count += 1
        return _latex_to_mathml(match.group(1), "inline")

    text = _DISPLAY.sub(display, text)
    text = _INLINE.sub(inline, text)
    text = text.replace(r"\$", "&#36;")
    text = re.sub("\x00(\\d+)\x00", lambda m: protected[int(m.group(1))], text)
    return text, count

"""Checks on a built site: links resolve, nothing is fetched, no answer is shown.

Each function returns a list of problems (empty when all is well), so the build can
report every problem at once and the tests can assert on them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
# Lines shorter than this are too generic to call a leak ("return h", "else:").
MIN_LEAK_CHARS = 12


class _Page(HTMLParser):
    """Collects a page's ids, links, resources and visible text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []      # (tag, url) to follow
        self.resources: list[tuple[str, str]] = []  # (tag, url) the browser would load
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if tag == "a" and attrs.get("href") is not None:
            self.links.append((tag, attrs["href"]))
        for attr in ("src", "srcset", "data"):
            if attrs.get(attr):
                self.resources.append((tag, attrs[attr]))
        if tag == "link" and attrs.get("href"):
            self.resources.append((tag, attrs["href"]))
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def page_text(path: Path) -> str:
    """What a reader can read on a page (tags stripped, entities decoded)."""
    return "".join(parse(path).text)


def check_links(site: Path) -> list[str]:
    """Every relative link and anchor resolves to a file (and id) inside the site."""
    problems = []
    pages = {p: parse(p) for p in site.rglob("*.html")}
    for path, page in pages.items():
        rel = path.relative_to(site)
        for tag, url in page.links + page.resources:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "mailto", "data"):
                continue  # external links are not followed offline (see check_offline)
            if parts.scheme:
                problems.append(f"{rel}: unexpected link scheme in {url!r}")
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path.resolve()
            try:
                target.relative_to(site.resolve())
            except ValueError:
                problems.append(f"{rel}: {url!r} points outside the site")
                continue
            if not target.is_file():
                problems.append(f"{rel}: broken link {url!r} (no {target.relative_to(site.resolve())})")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[next(p for p in pages if p.resolve() == target)].ids
                # as browsers do: the fragment as written, then percent-decoded
                if parts.fragment not in ids and unquote(parts.fragment) not in ids:
                    problems.append(f"{rel}: broken anchor {url!r}")
    return problems


def check_offline(site: Path) -> list[str]:
    """No page loads anything from the network: no remote script, style, font or image."""
    problems = []
    for path in site.rglob("*.html"):
        page = parse(path)
        rel = path.relative_to(site)
        for tag, url in page.resources:
            if urlsplit(url).scheme not in ("", "data"):
                problems.append(f"{rel}: <{tag}> loads {url!r} from the network")
        for css in page.styles:
            for url in re.findall(r"""(?:url\(|@import\s+)['"]?(https?:[^'")\s]+)""", css):
                problems.append(f"{rel}: a style sheet loads {url!r} from the network")
        source = path.read_text(encoding="utf-8")
        if re.search(r"<script\b[^>]*\bsrc=", source, re.I):
            problems.append(f"{rel}: loads a script")
    return problems


def secret_lines(root: Path) -> dict[str, set[str]]:
    """Per chapter: lines of solution code and hidden tests that a learner must not see.

    A line that some released notebook shows anyway is public and is not counted: a
    docstring line the stub keeps, or a later chapter handing out an earlier chapter's
    answer in its setup cell (chapter 3 gives the chapter 2 forward pass).
    """
    public = "\n".join(cell.source for release in sorted((root / "course").glob("ch*/ch*.ipynb"))
                        for cell in nbformat.read(str(release), as_version=4).cells)
    public_lines = {line.strip() for line in public.splitlines()}
    secrets = {}
    for solution in sorted((root / "solutions").glob("ch*/ch*.ipynb")):
        lines = set()
        for cell in nbformat.read(str(solution), as_version=4).cells:
            for block in SOLUTION.findall(cell.source) + HIDDEN.findall(cell.source):
                for line in block.splitlines():
                    line = line.strip()
                    if len(line) >= MIN_LEAK_CHARS and line not in public_lines:
                        lines.add(line)
        secrets[solution.parent.name] = lines
    return secrets


def check_no_answers(site: Path, root: Path) -> list[str]:
    """No solution line and no hidden-test line appears anywhere in the site."""
    problems = []
    secrets = {(chapter, line) for chapter, lines in secret_lines(root).items() for line in lines}
    for path in sorted(site.rglob("*.html")):
        text = page_text(path)
        for chapter, line in sorted(secrets):
            if line in text:
                problems.append(f"{path.relative_to(site)}: shows a line of the {chapter} "
                                f"solution or hidden tests: {line!r}")
    for path in sorted(site.rglob("*.ipynb")):
        text = "\n".join(c.source for c in nbformat.read(str(path), as_version=4).cells)
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS"):
            if marker in text:
                problems.append(f"{path.relative_to(site)}: holds {marker!r}")
        for chapter, line in sorted(secrets):
            if line in text:
                problems.append(f"{path.relative_to(site)}: holds a line of the {chapter} solution: {line!r}")
    return problems


def check_all(site: Path, root: Path) -> list[str]:
    return check_links(site) + check_offline(site) + check_no_answers(site, root)

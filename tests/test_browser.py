"""The course as a person meets it: JupyterLab and Formgrader in headless Chromium.

Each test copies the repository to a temporary folder and runs the project's own
command there (`make lab`, `make instructor`) on a free loopback port, with the
virtual environment that runs the tests; a learner's real work/ is never touched.
Screenshots of every step are kept in the test's temporary folder (pytest keeps the
last three runs; the path is printed) -- look at them when a test fails.
Skipped, with the reason, where Chromium, chromedriver or selenium is missing.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import pytest

import browser_tools as bt

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(bt.missing_tools() is not None, reason=str(bt.missing_tools()))]

NOTEBOOK = "ch02_tanh_recurrence/ch02_tanh_recurrence.ipynb"
# Typed as a learner would, one line each (the editor indents lines of its own accord).
WRONG_STEP = "def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h): return np.tanh(x_t @ W_xh + h_prev @ W_hh)"
RIGHT_STEP = "def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b_h): return np.tanh(x_t @ W_xh + h_prev @ W_hh + b_h)"
RIGHT_FORWARD = ("def rnn_forward(x, h0, W_xh, W_hh, b_h): h = [h0]; "
                 "[h.append(rnn_step_forward(x[:, t], h[-1], W_xh, W_hh, b_h)) for t in range(x.shape[1])]; "
                 "return np.stack(h[1:], axis=1)")
RIGHT_OUTPUT = "def output_layer(h, W_hy, b_y): return h @ W_hy + b_y"


def _fingerprint(folder: Path) -> dict:
    """Every file under `folder` with its content hash (empty when it does not exist)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def browser(tmp_path):
    driver = bt.start_chromium(tmp_path / "chromium-profile")
    shots = bt.Shots(driver, tmp_path / "screenshots")
    print(f"screenshots: {shots.folder}")
    yield driver, shots
    driver.quit()


def _server(tmp_path, target: str) -> bt.Server:
    repo = bt.copy_repository(tmp_path / "repo")
    return bt.Server(repo, target, tmp_path)


# ------------------------------------------------------------- JupyterLab helpers


def _by():
    from selenium.webdriver.common.by import By
    return By


def _code_cell(driver, text: str):
    """The notebook's code cell whose source contains `text`."""
    By = _by()
    for cell in driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell.jp-CodeCell"):
        if text in cell.find_element(By.CSS_SELECTOR, ".cm-content").text:
            return cell
    return None


def _type_into(driver, text: str, code: str) -> None:
    """Click into the cell holding `text`, select all of it and type `code` instead."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    cell = bt.wait_for(lambda: _code_cell(driver, text), message=f"a cell with {text!r}")
    editor = cell.find_element(_by().CSS_SELECTOR, ".cm-content")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", editor)
    editor.click()
    ActionChains(driver).key_down(Keys.CONTROL).send_keys("a").key_up(Keys.CONTROL).perform()
    ActionChains(driver).send_keys(Keys.DELETE).send_keys(code).perform()
    typed = bt.wait_for(lambda: _code_cell(driver, code[:40]), message="the typed code in the cell")
    assert typed.find_element(_by().CSS_SELECTOR, ".cm-content").text == code


def _idle(driver) -> bool:
    By = _by()
    status = driver.find_element(By.CSS_SELECTOR, ".jp-Notebook-ExecutionIndicator").get_attribute("data-status")
    prompts = [p.text for p in driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-InputPrompt")]
    return status == "idle" and not any("*" in p for p in prompts)


def _run_all(driver) -> None:
    """Run > Run All Cells, then wait until the kernel is idle and nothing is queued."""
    By = _by()
    menu = bt.wait_for(lambda: [m for m in driver.find_elements(By.CSS_SELECTOR, "li.lm-MenuBar-item")
                                if m.text.strip() == "Run"], message="the Run menu")
    menu[0].click()
    bt.wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "li[data-command='runmenu:run-all']"),
                message="Run All Cells").click()
    time.sleep(2)  # let the queue fill before asking whether it is empty
    bt.wait_for(lambda: _idle(driver), timeout=300, message="the notebook to finish running")


def _output(driver, text: str) -> str:
    cell = _code_cell(driver, text)
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", cell)
    areas = cell.find_elements(_by().CSS_SELECTOR, ".jp-OutputArea")
    return areas[0].text if areas else ""


# ------------------------------------------------------------------------ tests


def test_a_learner_finds_the_mistake_fixes_it_and_validates(tmp_path, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver, shot = browser
    By = _by()
    real_work = bt.ROOT / "work"
    before = _fingerprint(real_work)
    server = _server(tmp_path, "lab")
    try:
        server.wait_ready()
        root_listing = {item["name"] for item in server.api("api/contents")["content"]}
        assert "ch02_tanh_recurrence" in root_listing, root_listing
        driver.get(server.page(f"lab/tree/{NOTEBOOK}"))
        bt.wait_for(lambda: _code_cell(driver, "def rnn_step_forward"), message="the ch02 notebook")
        bt.wait_for(lambda: _idle(driver), message="the kernel to start")
        shot("opened")

        # 1. a wrong answer: the bias left out
        _type_into(driver, "def rnn_step_forward", WRONG_STEP)
        shot("wrong-answer-typed")
        _run_all(driver)
        message = _output(driver, 'check("ch02.rnn_step_forward.values"')
        shot("test-fails-naming-the-mistake")
        assert "bias dropped" in message, message
        first = message.strip().splitlines()[0]
        assert "ch02.rnn_step_forward.values" in first and "Traceback" not in first, message
        # nothing of the grader's innards before the diagnosis
        head = message[:message.index("bias dropped")]
        assert not re.search(r"Traceback|File \"|autograder[/\\]|-{10,}", head), message
        # the shape test passed and said so; the run stopped before the figure
        assert "\u2713" in _output(driver, 'check("ch02.rnn_step_forward.shape"')
        assert not driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-OutputArea img")

        # 2. fixed, and the rest of the chapter done: every test passes, the figure is drawn
        _type_into(driver, "def rnn_step_forward", RIGHT_STEP)
        _type_into(driver, "def rnn_forward", RIGHT_FORWARD)
        _type_into(driver, "def output_layer", RIGHT_OUTPUT)
        _run_all(driver)
        # the chapter's one figure (hidden-state trajectories) is drawn below its cell
        images = bt.wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-OutputArea img"),
                             message="a figure in the notebook")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", images[0])
        shot("figure-drawn")
        assert len(images) == 1
        assert driver.execute_script("return arguments[0].naturalWidth", images[0]) > 300
        errors = driver.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output[data-mime-type="
                                                       "'application/vnd.jupyter.stderr']")
        assert not [e.text for e in errors if e.text.strip()], [e.text for e in errors]
        assert "bias dropped" not in _output(driver, 'check("ch02.rnn_step_forward.values"')

        # 3. saved, then nbgrader's Validate button
        ActionChains(driver).send_keys(Keys.ESCAPE).key_down(Keys.CONTROL).send_keys("s") \
            .key_up(Keys.CONTROL).perform()
        bt.wait_for(lambda: "jp-mod-dirty" not in driver.find_element(
            By.CSS_SELECTOR, ".jp-mod-current.lm-TabBar-tab").get_attribute("class"), message="the save")
        validate = bt.wait_for(lambda: [b for b in driver.find_elements(
            By.CSS_SELECTOR, ".jp-NotebookPanel-toolbar .jp-ToolbarButtonComponent")
            if b.text.strip() == "Validate"], message="the Validate button")
        validate[0].click()
        dialog = bt.wait_for(lambda: driver.find_element(By.CSS_SELECTOR, ".jp-Dialog-content"),
                             timeout=300, message="nbgrader's validation result")
        bt.wait_for(lambda: "Validation" in dialog.text, message="the dialog's text")
        shot("validated")
        assert "Success! Your notebook passes all the tests." in dialog.text, dialog.text
        saved = json.loads((server.repo / "work" / NOTEBOOK).read_text())
        assert any(RIGHT_STEP in "".join(c["source"]) for c in saved["cells"])
    finally:
        server.stop()
    assert _fingerprint(real_work) == before, "the test touched the real work/ folder"


def _scores(text: str, key: str) -> dict[str, float]:
    """Rows of a Formgrader table -> {first word matching `key`: the first 'x / y' score's x}."""
    found = {}
    for line in text.splitlines():
        m = re.search(rf"({key}).*?(\d+(?:\.\d+)?) / \d+(?:\.\d+)?", line)
        if m:
            found[m.group(1)] = float(m.group(2))
    return found


def test_formgrader_shows_the_graded_demo_class(tmp_path, browser):
    driver, shot = browser
    By = _by()
    server = _server(tmp_path, "instructor")
    try:
        # `make instructor` grades the demo class (in the copy) before the server starts
        server.wait_ready(timeout=600)
        results = server.repo / "grading" / "results" / "ch02_tanh_recurrence"
        expected, max_score = {}, None
        for path in sorted(results.glob("*.json")):
            data = json.loads(path.read_text())
            expected[data["student"]] = float(data["score"])
            max_score = data["max_score"]
        # the demo class: one right, one partly wrong, one untouched
        assert len(expected) == 3 and len(set(expected.values())) == 3, expected
        assert max(expected.values()) == max_score and min(expected.values()) == 0

        driver.get(server.page("formgrader"))
        bt.wait_for(lambda: "ch02_tanh_recurrence" in driver.find_element(By.TAG_NAME, "body").text,
                    message="the assignments table")
        shot("formgrader-assignments")
        row = [line for line in driver.find_element(By.TAG_NAME, "body").text.splitlines()
               if line.startswith("ch02_tanh_recurrence")]
        assert row and row[0].split()[-1] == "3", row   # three submissions

        # the students and their scores (only ch02 is graded, so a total is its score)
        driver.get(server.page("formgrader/manage_students"))
        page = bt.wait_for(lambda: (lambda t: t if all(s in t for s in expected) else "")(
            driver.find_element(By.TAG_NAME, "body").text), message="the students table")
        shot("formgrader-students")
        assert _scores(page, "|".join(expected)) == expected, page

        # the assignment's submissions, anonymous, with their ch02 scores out of 15
        driver.get(server.page("formgrader/gradebook/ch02_tanh_recurrence/ch02_tanh_recurrence"))
        page = bt.wait_for(lambda: (lambda t: t if t.count("Submission #") == 3 else "")(
            driver.find_element(By.TAG_NAME, "body").text), message="the submissions table")
        shot("formgrader-ch02-submissions")
        assert sorted(_scores(page, r"Submission #\d+").values()) == sorted(expected.values()), page
        assert page.count(f"/ {max_score:g}") >= 3, page
    finally:
        server.stop()

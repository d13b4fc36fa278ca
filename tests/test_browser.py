"""The lesson in a real JupyterLab: headless Chromium runs the gate and the correlation
notebooks, moves their sliders, and checks what a learner sees against what desklib computes.
Ticket text must stay text: markup in a ticket creates no element and opens no dialog.

Needs Playwright (in the `dev` extra) and a Chromium on the machine; Playwright's own browser
download is never used. ``DESK_CHROMIUM`` names the browser binary, else ``chromium`` or
``chromium-browser`` is looked up on PATH. Without them these tests skip and say why; with
``CI=true`` they fail instead. The server serves a temporary copy of ``notebooks/`` (or of
``starters/``) with its own settings, workspaces and per-user folders, so nothing leaks in or out.

The page is a projector's 1366×768: every table a notebook shows must fit its output area (no
column pushed off the right edge), and a screenshot of each notebook after the interaction lands
in ``build/browser/``. Starters 03, 04 and 05 must run to the end with Run All, untouched.
"""
from __future__ import annotations

import html
import html.parser
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import types
import urllib.request
from pathlib import Path

import pytest
from real_programs import find_program, free_port, unavailable

import desklib
from desklib import aiops, aiops_viz, gate, triage, widgets

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
    expect.set_options(timeout=20_000)   # a slider move recomputes in the kernel and redraws
except ImportError:                      # reported by the `browser` fixture, as a skip or (CI) a failure
    sync_playwright = None

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "browser"
TOKEN = "desk-browser-test"
KERNEL_IDLE = "Python 3 (ipykernel) | Idle"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
WAIT_MS = 60_000                         # the longest single wait (server start, kernel start, a run)
VIEWPORT = {"width": 1366, "height": 768}  # a classroom projector
STARTERS_RUN_ALL = ["03_routing_sla.ipynb", "04_escalation.ipynb", "05_correlation.ipynb"]
# Front-end settings for the test server: no "news?" popup, every cell rendered (no windowing).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}
T19 = "t19"                              # the fixture ticket whose subject and body carry markup


def chromium_path() -> tuple[str | None, str]:
    """The Chromium to drive and where it came from, or (None, why there is none)."""
    return find_program("DESK_CHROMIUM", ("chromium", "chromium-browser"),
                        "no Chromium found (put chromium / chromium-browser on PATH)")


def _unavailable(reason: str):
    unavailable("browser tests", reason)


# ----------------------------------------------------------------------------- what may not appear

#: Elements that ticket markup would create if it were rendered instead of shown as text.
INJECTED = """() => [...document.querySelectorAll('script, img[src="x"], [onerror]')]
    .filter(e => e.tagName !== 'SCRIPT' || /alert\\(/.test(e.textContent))
    .map(e => e.outerHTML.slice(0, 120))"""


def html_text(markup: str) -> str:
    """The text a browser shows for ``markup`` (its textContent), read without a browser."""
    parts: list[str] = []
    parser = html.parser.HTMLParser()
    parser.handle_data = parts.append
    parser.feed(markup)
    parser.close()
    return "".join(parts)


def injected_elements(page) -> list[str]:
    """The elements in the page that came from ticket markup (a script calling alert(...),
    an ``<img src="x">``, anything carrying ``onerror``), as short HTML snippets."""
    return page.evaluate(INJECTED)


def record_dialogs(page) -> list[str]:
    """Register before loading: every alert/confirm/prompt the page opens is noted and dismissed."""
    dialogs: list[str] = []

    def note(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()
    page.on("dialog", note)
    return dialogs


# ----------------------------------------------------------------------------- the server

def _children(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc; elsewhere nothing is found)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    found, frontier = [], [pid]
    while frontier:
        below = [p for p, parent in parents.items() if parent in frontier]
        found += below
        frontier = below
    return found


class Lab:
    """A running ``jupyter lab`` on 127.0.0.1 and its REST API."""

    def __init__(self, base: Path, folder: str = "notebooks"):
        self.root = base / folder
        shutil.copytree(ROOT / folder, self.root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        settings = base / "settings"
        for name, values in LAB_SETTINGS.items():
            path = settings / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        state = {key: base / folder for key, folder in
                 [("HOME", "home"), ("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                  ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"), ("MPLCONFIGDIR", "mpl")]}
        for folder in state.values():
            folder.mkdir()
        env = {**os.environ, **{k: str(v) for k, v in state.items()}, "TZ": "UTC", "PYTHONHASHSEED": "0"}
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = base / "server.log"
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                   f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={self.root}",
                   f"--LabApp.workspaces_dir={base / 'workspaces'}", f"--LabApp.user_settings_dir={settings}",
                   "--LabApp.expose_app_in_browser=True",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if os.geteuid() == 0:
            command.append("--allow-root")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + WAIT_MS / 1000
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with status {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status")
                return
            except OSError:
                time.sleep(0.2)
        pytest.fail(f"jupyter lab did not answer within {WAIT_MS // 1000} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def api(self, method: str, path: str):
        request = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None,
                                         headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def page_url(self, notebook: str) -> str:
        # A workspace of its own per notebook: nothing a previous test opened is restored.
        return f"{self.url}/lab/workspaces/{Path(notebook).stem}/tree/{notebook}?token={TOKEN}"

    def delete_sessions(self) -> None:
        """Shut down every kernel through its session, as closing the notebook would."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def stop(self) -> None:
        """Kernels first, then the server: the REST shutdown, then signals to the process group,
        then anything the server started that is still there."""
        below = _children(self.proc.pid)
        try:
            if self.proc.poll() is None:
                self.delete_sessions()
                self.api("POST", "/api/shutdown")
                self.proc.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        for pid in below:                # kernels run in sessions of their own, outside the group
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# ----------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def browser():
    if sync_playwright is None:
        _unavailable("the Python package 'playwright' is not installed (it is in the dev extra)")
    executable, origin = chromium_path()
    if executable is None:
        _unavailable(origin)
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, timeout=WAIT_MS)
        except PlaywrightError as error:
            _unavailable(f"Chromium from {origin} did not start: {str(error).splitlines()[0]}")
        try:
            yield chromium
        finally:
            chromium.close()


def _serve(base: Path, folder: str):
    server = Lab(base, folder)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    yield from _serve(tmp_path_factory.mktemp("lab"), "notebooks")


@pytest.fixture(scope="module")
def starters_lab(tmp_path_factory, browser):
    yield from _serve(tmp_path_factory.mktemp("starters"), "starters")


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def notebook_page(page, lab):
    """A fresh page; afterwards the notebook's kernel is shut down through the REST API."""
    try:
        yield page
    finally:
        lab.delete_sessions()


def run_all(page, lab: Lab, notebook: str) -> tuple[bool, list[str]]:
    """Open ``notebook``, wait for its kernel, Run All as a learner would; returns whether every
    cell ran without an error, and the dialog log."""
    dialogs = record_dialogs(page)
    page.goto(lab.page_url(notebook))
    # The toolbar's kernel indicator says idle too early; the status bar waits for the real kernel.
    expect(page.locator("#jp-main-statusbar").get_by_text(KERNEL_IDLE)).to_be_visible(timeout=WAIT_MS)
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    ran = page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    return ran is True, dialogs


def errors_shown(page) -> str:
    return "\n".join(page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
                     .all_inner_texts())


def open_and_run(page, lab: Lab, notebook: str) -> list[str]:
    """Open ``notebook``, wait for its kernel, run all cells; returns the dialog log."""
    ran, dialogs = run_all(page, lab, notebook)
    if not ran:
        pytest.fail(f"{notebook}: a cell failed when run in JupyterLab:\n{errors_shown(page)}"
                    f"\nserver log:\n{lab.log_tail()}")
    return dialogs


#: Every table in an output area, with its width and the width its output area gives it (px).
TABLE_WIDTHS = """() => [...document.querySelectorAll('.jp-OutputArea-output table')].map(table => {
    const area = table.closest('.jp-OutputArea-output');
    const cell = table.closest('.jp-CodeCell');
    const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
    return {cell: cells.indexOf(cell), head: (table.querySelector('tr')?.innerText || '').replace(/\\s+/g, ' ').slice(0, 80),
            width: table.getBoundingClientRect().width, scroll: table.scrollWidth,
            right: table.getBoundingClientRect().right, area: area.clientWidth,
            areaRight: area.getBoundingClientRect().left + area.clientWidth};
})"""


def too_wide_tables(page) -> list[dict]:
    """The tables of the page wider than their output area (a column pushed off the right edge),
    measured as a learner sees them: the file browser open beside the notebook."""
    page.evaluate("() => window.jupyterapp.shell.expandLeft()")
    expect(page.locator("#jp-left-stack")).to_be_visible()
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    tables = page.evaluate(TABLE_WIDTHS)
    assert tables, "no table in the output areas"
    return [t for t in tables if max(t["width"], t["scroll"]) > t["area"] + 1 or t["right"] > t["areaRight"] + 1]


#: The input prompt of every code cell, in notebook order ("[7]:" once run, "[ ]:" if not).
PROMPTS = """() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')]
    .map(cell => (cell.querySelector('.jp-InputPrompt')?.innerText || '').trim())"""


def code_cells(path: Path) -> int:
    return sum(cell["cell_type"] == "code" for cell in json.loads(path.read_text())["cells"])


def explorer_with(page, slider_label: str):
    """The widget box holding the slider labelled ``slider_label``, and that slider."""
    slider = page.locator(".widget-hslider").filter(
        has=page.locator(".widget-label", has_text=re.compile(rf"^{re.escape(slider_label)}$")))
    expect(slider).to_have_count(1, timeout=WAIT_MS)
    return page.locator(".widget-vbox").filter(has=slider).last, slider


def screenshot(page, box, name: str) -> Path:
    """Scroll ``box`` to the top of the notebook and save what the learner sees."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    box.evaluate("e => e.scrollIntoView({block: 'start'})")
    path = SHOTS / f"{name}.png"
    page.screenshot(path=path)
    return path


def show(capsys, text: str) -> None:
    with capsys.disabled():
        print(f"\n{text}")


# ----------------------------------------------------------------------------- the lesson's day

@pytest.fixture(scope="module")
def day():
    tickets = desklib.load_tickets(desklib.fixture("tickets.jsonl"))
    truth = desklib.load_ticket_truth(desklib.fixture("tickets_truth.csv"))
    triaged = triage.triage_all(tickets, triage.load_rules())
    return types.SimpleNamespace(tickets=tickets, truth=truth, triaged=triaged,
                                 view=lambda t: widgets.gate_view(triaged, truth, t, tickets))


def shown_human_queue(view) -> list[str]:
    """The ids in the human-queue table as desklib draws it (the first ``TABLE_ROWS``)."""
    return list(view["human_queue"]["id"])[:widgets.TABLE_ROWS]


def first_threshold_holding(day, ticket_id: str, start: float) -> float:
    """The lowest slider position above ``start`` (steps of 0.01) where desklib sends the
    ticket to a human and its table shows it."""
    for k in range(1, 101):
        threshold = round(start + k / 100, 2)
        if threshold <= 1.0 and ticket_id in shown_human_queue(day.view(threshold)):
            return threshold
    raise AssertionError(f"{ticket_id} reaches the human queue at no threshold above {start}")


# ----------------------------------------------------------------------------- the tests

def test_the_check_sees_ticket_markup_that_is_rendered(page, day, monkeypatch):
    """The element and dialog checks below do catch markup: desklib's gate tables with
    html.escape replaced by identity put a live <script> (and the body's <img onerror>) in a page."""
    ticket = next(t for t in day.tickets if t.id == T19)
    view = day.view(first_threshold_holding(day, T19, gate.default_threshold()))
    dialogs = record_dialogs(page)

    page.set_content(widgets.gate_view_html(view) + f"<p>{html.escape(ticket.body)}</p>")
    assert injected_elements(page) == [] and dialogs == []
    expect(page.get_by_role("cell", name=ticket.subject, exact=True)).to_be_visible()

    monkeypatch.setattr(widgets, "html", types.SimpleNamespace(escape=lambda text, quote=True: text))
    page.set_content(widgets.gate_view_html(view) + f"<p>{ticket.body}</p>")
    page.wait_for_function("() => document.querySelector('img[src=\"x\"]')?.complete")
    found = injected_elements(page)
    assert any(e.startswith("<script>alert('x')") for e in found), found
    assert any(e.startswith('<img src="x" onerror=') for e in found), found
    assert "alert: x" in dialogs, dialogs


def test_gate_notebook_threshold_slider(notebook_page, lab, day, capsys):
    page = notebook_page
    dialogs = open_and_run(page, lab, "02_gate.ipynb")
    explorer, slider = explorer_with(page, "threshold")
    summary, tables = explorer.locator(".widget-html").nth(0), explorer.locator(".widget-html").nth(1)

    start = gate.default_threshold()
    expect(summary).to_have_text(widgets.gate_summary(day.view(start)), timeout=WAIT_MS)
    target = first_threshold_holding(day, T19, start)
    expected = day.view(target)
    assert expected["human"] != day.view(start)["human"]

    handle = slider.locator(".noUi-handle")
    for _ in range(round((target - start) * 100)):
        handle.press("ArrowRight")
    expect(slider.locator(".widget-readout")).to_have_text(f"{target:.2f}")
    expect(summary).to_have_text(widgets.gate_summary(expected))
    human_table = tables.locator("table").nth(0)
    # ticket rows only (a "… N more" row past TABLE_ROWS is a single cell)
    expect(human_table.locator("tbody tr:has(td:nth-child(2)) td:first-child")).to_have_text(
        shown_human_queue(expected))

    # t19's markup made no element and opened no dialog ...
    assert injected_elements(page) == [], "ticket markup became elements in the page"
    assert dialogs == [], f"the page opened dialogs: {dialogs}"
    # ... the tables read exactly as desklib's HTML for this threshold does (after its summary line) ...
    full, line = html_text(widgets.gate_view_html(expected)), widgets.gate_summary(expected)
    assert full.startswith(line)
    expect(tables).to_have_text(full[len(line):])
    # ... and t19's subject is on screen as characters a learner can read, in a cell with no child elements
    subject = expected["human_queue"].set_index("id").loc[T19, "subject"]
    cell = human_table.locator("tbody tr", has=page.get_by_role("cell", name=T19, exact=True)).locator("td").nth(1)
    assert cell.evaluate("e => e.childElementCount") == 0, cell.evaluate("e => e.innerHTML")
    expect(cell).to_have_text(subject)
    expect(cell).to_be_visible()

    path = screenshot(page, explorer, "02_gate")
    show(capsys, f"screenshot of 02_gate at threshold {target:.2f}: {path}")
    wide = too_wide_tables(page)
    assert wide == [], f"tables wider than their output area at 1366 px: {wide}"


def test_correlation_notebook_window_slider_and_topology(notebook_page, lab, capsys):
    page = notebook_page
    alerts = desklib.load_alerts(desklib.fixture("alerts.jsonl"))
    topology = desklib.load_topology(desklib.fixture("topology.json"))
    truth = desklib.load_alert_truth(desklib.fixture("alerts_truth.csv"))

    dialogs = open_and_run(page, lab, "05_correlation.ipynb")
    explorer, slider = explorer_with(page, "window (s)")
    summary = explorer.locator(".widget-html")
    shown: list[str] = []

    def shows(window: int, use_topology: bool, hops: int = aiops.DEFAULT_HOPS) -> None:
        """The numbers and the incident table read exactly as desklib's HTML for this setting."""
        view = aiops_viz.window_view(alerts, topology, truth, window, use_topology, hops=hops)
        corr = view["correlation"]
        text = html_text(aiops_viz.view_html(view))
        assert f"{len(corr.incidents)} incidents" in text and f"{corr.noise_reduction:.3f}" in text
        assert text not in shown, "two settings that should differ read the same"
        expect(summary).to_have_text(text)
        expect(summary.locator("tbody tr")).to_have_count(len(corr.incidents))
        shown.append(text)

    start = aiops.DEFAULT_WINDOW_S
    shows(start, True)
    # the next window down the slider's grid where desklib finds a different number of incidents
    count = len(aiops.correlate(alerts, topology, start).incidents)
    target = next(w for w in range(start - aiops_viz.WINDOW_STEP_S, aiops_viz.WINDOW_MIN_S - 1,
                                   -aiops_viz.WINDOW_STEP_S)
                  if len(aiops.correlate(alerts, topology, w).incidents) != count)

    readout = slider.locator(".widget-readout")
    readout.fill(str(target))
    readout.press("Enter")
    expect(slider.locator(".noUi-handle")).to_have_attribute("aria-valuetext", str(target))
    shows(target, True)

    explorer.get_by_role("checkbox", name="use topology").uncheck()
    shows(target, False)
    explorer.get_by_role("checkbox", name="use topology").check()
    explorer.get_by_role("combobox", name="hops").select_option("3")      # the hops control
    shows(target, True, hops=3)
    assert injected_elements(page) == []
    assert dialogs == [], f"the page opened dialogs: {dialogs}"

    path = screenshot(page, explorer, "05_correlation")
    show(capsys, f"screenshot of 05_correlation at window {target} s, time only: {path}")
    wide = too_wide_tables(page)
    assert wide == [], f"tables wider than their output area at 1366 px: {wide}"


def test_the_show_notebook_tables_fit_a_projector(notebook_page, lab, capsys):
    page = notebook_page
    dialogs = open_and_run(page, lab, "06_show.ipynb")
    assert injected_elements(page) == [] and dialogs == []
    wide = too_wide_tables(page)
    path = screenshot(page, page.locator(".jp-OutputArea-output table").last, "06_show")
    show(capsys, f"screenshot of 06_show at its last table, file browser open: {path}")
    assert wide == [], f"tables wider than their output area at 1366 px: {wide}"


@pytest.mark.parametrize("notebook", STARTERS_RUN_ALL)
def test_run_all_on_an_untouched_starter_runs_every_code_cell(notebook, page, starters_lab, capsys):
    """A learner opens a starter and presses Run All before writing anything: the blank
    exercises fail their checkers, and every code cell still runs (gets its ``[n]:``)."""
    try:
        run_all(page, starters_lab, notebook)
        expect(page.locator("#jp-main-statusbar").get_by_text(KERNEL_IDLE)).to_be_visible(timeout=WAIT_MS)
        prompts = page.evaluate(PROMPTS)
        assert len(prompts) == code_cells(starters_lab.root / notebook)
        not_run = [i for i, prompt in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", prompt)]
        path = screenshot(page, page.locator(".jp-Notebook .jp-CodeCell").last, f"starter_{Path(notebook).stem}")
        show(capsys, f"screenshot of starters/{notebook} after Run All: {path}")
        assert not_run == [], (f"starters/{notebook}: code cells {not_run} of {len(prompts)} did not run "
                               f"(prompts {[prompts[i] for i in not_run]}); errors shown:\n{errors_shown(page)}")
    finally:
        starters_lab.delete_sessions()


def test_threshold_explorer_on_a_predictions_file(notebook_page, lab, capsys):
    """Any classifier's output: a predictions file (generated, labelled) written beside a small
    notebook that builds the explorer from it; the slider drives it as in the lesson."""
    from desklib import predgen
    from desklib.predictions import load_predictions
    page = notebook_page
    csv_path = predgen.write(predgen.generate(300, 7), lab.root / "model_predictions.csv")
    cells = ["import desklib\nnow = desklib.setup()\nfrom desklib import widgets",
             'explorer = widgets.threshold_explorer(predictions="model_predictions.csv", threshold=0.8)\nexplorer']
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                           "source": src} for src in cells],
                "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                            "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    (lab.root / "predictions_explorer.ipynb").write_text(json.dumps(notebook))
    preds, labels = load_predictions(csv_path)
    columns = widgets.GateColumns(preds, labels)

    dialogs = open_and_run(page, lab, "predictions_explorer.ipynb")
    explorer, slider = explorer_with(page, "threshold")
    summary, tables = explorer.locator(".widget-html").nth(0), explorer.locator(".widget-html").nth(1)
    expect(summary).to_have_text(widgets.gate_summary(columns.view(0.8)), timeout=WAIT_MS)
    handle = slider.locator(".noUi-handle")
    for _ in range(10):
        handle.press("ArrowRight")
    expected = columns.view(0.9)
    assert expected["auto"] != columns.view(0.8)["auto"]
    expect(slider.locator(".widget-readout")).to_have_text("0.90")
    expect(summary).to_have_text(widgets.gate_summary(expected))
    full, line = html_text(widgets.gate_view_html(expected)), widgets.gate_summary(expected)
    expect(tables).to_have_text(full[len(line):])
    assert injected_elements(page) == [] and dialogs == []
    path = screenshot(page, explorer, "predictions_explorer")
    show(capsys, f"screenshot of the explorer on a predictions file at 0.90: {path}")

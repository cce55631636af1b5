"""The board page in a real headless Chromium (Debian's ``chromium``, installed by ``.ci/run``):
the script sorts the table on a click and from the URL fragment, under the server's
Content-Security-Policy and from the static site, and injected metadata never runs.

Chromium is driven with ``--dump-dom`` and through the DevTools protocol (``websocket-client``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from _lb_helpers import EVIL_NAME

from avbench.leaderboard.render import render_site

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (`.ci/run` installs Debian's "
                                                          "chromium package; apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-extensions", "--disable-background-networking"]


def dump_dom(url: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=3000",
                              "--dump-dom", url], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()[-1000:]
    return out.stdout.decode()


class Browser:
    """A headless Chromium driven over the DevTools protocol."""

    def __init__(self) -> None:
        import websocket

        self.profile = tempfile.mkdtemp(prefix="avbench-chromium-")
        self.proc = subprocess.Popen([CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}",
                                      "--remote-debugging-port=0", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.05)
        port = int(port_file.read_text().split("\n")[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as resp:
            page = next(t for t in json.load(resp) if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Runtime.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]
            self.events.append(msg) if hasattr(self, "events") else setattr(self, "events", [msg])

    def open(self, url: str) -> None:
        self.events = []
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 60
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not load")
            self.events.append(json.loads(self.ws.recv()))

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def close(self) -> None:
        self.ws.close()
        self.proc.kill()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture()
def browser():
    b = Browser()
    try:
        yield b
    finally:
        b.close()


ROWS = "Array.from(document.querySelectorAll('#board tbody tr')).map(r => +r.dataset.id)"


def test_click_sorts_the_served_table_under_the_csp(populated, browser: Browser) -> None:
    base, db, ids = populated
    subs = {s["id"]: s for s in db.submissions()}
    browser.open(f"{base}/boards/scene")
    assert browser.js(ROWS) == sorted(subs, key=lambda i: -subs[i]["primary_value"])
    browser.js("document.querySelector('th[data-key=\"log_loss\"]').click()")  # lower is better: ascending first
    loss = {i: s["result"]["metrics"]["log_loss"]["overall"]["log_loss"] for i, s in subs.items()}
    assert browser.js(ROWS) == sorted(loss, key=loss.get)
    assert browser.js("location.hash") == "#sort=log_loss:asc"
    browser.js("document.querySelector('th[data-key=\"log_loss\"]').click()")
    assert browser.js(ROWS) == sorted(loss, key=loss.get, reverse=True)
    browser.js("document.querySelector('th[data-key=\"system\"]').click()")
    names = {i: s["system_name"].lower() for i, s in subs.items()}
    assert browser.js(ROWS) == sorted(names, key=names.get)  # names start A to Z
    assert browser.js("document.body.dataset.pwned || ''") == ""
    assert EVIL_NAME in browser.js("document.querySelector('#board').innerText")  # shown as text


def test_fragment_sorts_the_static_site(populated, tmp_path: Path) -> None:
    base, db, ids = populated
    site = tmp_path / "site"
    render_site(db, site)
    subs = {s["id"]: s for s in db.submissions()}
    dom = dump_dom((site / "boards" / "scene.html").as_uri() + "#sort=team:asc")
    import re

    order = [int(x) for x in re.findall(r'<tr data-id="(\d+)"', dom)]
    teams = {i: s["team"] for i, s in subs.items()}
    assert [teams[i] for i in order] == sorted(teams.values())
    assert 'data-sorted="team:asc"' in dom and 'class="sorted-asc"' in dom
    page = dump_dom((site / "submissions" / f"{ids[EVIL_NAME]}.html").as_uri())
    assert "data-pwned" not in page.split("<body", 1)[1].split(">", 1)[0]

"""Google Drive files by id, including the confirmation step for large files.

``GET <AVBENCH_GDRIVE_URL>?id=ID&export=download`` (default
``https://drive.usercontent.google.com/download``) answers either the file itself or, for files
too large for Drive's virus scan, an HTML page. Two page styles are handled:

- current: a ``<form id="download-form" action="...">`` with hidden inputs (``id``, ``export``,
  ``confirm``, ``uuid``): the download URL is the action with those inputs as query;
- older (``drive.google.com/uc``): a ``download_warning*`` cookie and/or a link carrying
  ``confirm=TOKEN``: the URL gets ``confirm=TOKEN`` and the cookie is sent back.

A page with neither is a quota page ("Too many users have viewed or downloaded this file") or a
sign-in page (the file is not shared publicly); both are reported as such. The resolved URL is
probed once more to be sure it yields bytes, not another page (Drive files come without
published hashes, so an HTML page saved as data would go unnoticed otherwise).

Example:
    >>> p = _PageParser(); p.feed('<form id="download-form" action="/download">'
    ...     '<input type="hidden" name="id" value="X"><input type="hidden" name="confirm" value="t"></form>')
    >>> p.forms[0]
    ('/download', {'id': 'X', 'confirm': 't'})
"""

from __future__ import annotations

import html.parser
import http.cookies
import os
import threading
import urllib.parse

from avbench.download.http import Deadlines, read_small, request, retrying
from avbench.download.resource import GDriveSource
from avbench.download.sources import Remote
from avbench.errors import DownloadError

__all__ = ["resolve", "DEFAULT_URL"]

DEFAULT_URL = "https://drive.usercontent.google.com/download"
_PAGE_LIMIT = 2 << 20


class _PageParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, str]]] = []
        self.links: list[str] = []
        self._form: tuple[str, dict[str, str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = (a.get("action", ""), {})
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("name"):
            self._form[1][a["name"]] = a.get("value", "")
        elif tag == "a" and "confirm=" in a.get("href", ""):
            self.links.append(a["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def _is_page(resp: Any) -> bool:
    return str(resp.headers.get("Content-Type", "")).lower().startswith("text/html")


def _next_url(file_id: str, page: str, final_url: str, set_cookies: list[str]) -> tuple[str, dict[str, str]]:
    parser = _PageParser()
    parser.feed(page)
    for action, inputs in parser.forms:
        if "id" in inputs and ("confirm" in inputs or "uuid" in inputs):
            target = urllib.parse.urljoin(final_url, action or final_url)
            return f"{target.split('?')[0]}?{urllib.parse.urlencode(inputs)}", {}
    cookies = http.cookies.SimpleCookie()
    for c in set_cookies:
        cookies.load(c)
    warn = {k: m.value for k, m in cookies.items() if k.startswith("download_warning")}
    header = {"Cookie": "; ".join(f"{k}={v}" for k, v in warn.items())} if warn else {}
    for href in parser.links:
        return urllib.parse.urljoin(final_url, href), header
    if warn:
        token = next(iter(warn.values()))
        parts = urllib.parse.urlsplit(final_url)
        q = dict(urllib.parse.parse_qsl(parts.query))
        q.update({"id": file_id, "export": "download", "confirm": token})
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(q))), header
    low = page.lower()
    if "too many users" in low or "quota exceeded" in low:
        raise DownloadError(f"Google Drive file {file_id}: download quota exceeded (too many downloads "
                            "recently); try again in 24 h or use --mirror")
    if "accounts.google.com" in low or "sign in" in low:
        raise DownloadError(f"Google Drive file {file_id} is not shared publicly (Drive asks to sign in)")
    raise DownloadError(f"Google Drive file {file_id}: Drive answered a web page without a download "
                        "link; the id may be wrong or the file removed")


def resolve(source: GDriveSource, *, deadlines: Deadlines, cancel: threading.Event | None = None) -> Remote:
    """The direct download URL of ``source`` (after any confirmation page) and its size; every
    step is retried (``DEFAULT_RETRY``) under ``deadlines`` (a page body like a file body); retry
    waits end when ``cancel`` is set (:class:`~avbench.download._progress.Cancelled`)."""
    base = os.environ.get("AVBENCH_GDRIVE_URL", DEFAULT_URL)
    url = f"{base}?{urllib.parse.urlencode({'id': source.file_id, 'export': 'download'})}"
    headers: dict[str, str] = {}

    def step(target: str) -> tuple[int | None, str | None, str, list[str]]:
        """``(size, None, ...)`` for bytes, ``(None, page, final_url, set_cookies)`` for a page."""
        with request(target, headers=headers, timeout=deadlines.stall, header_timeout=deadlines.headers) as resp:
            if not _is_page(resp):
                length = resp.headers.get("Content-Length")
                return (int(length) if resp.status == 200 and length and length.isdigit() else -1), None, "", []
            page = read_small(resp, target, limit=_PAGE_LIMIT, deadlines=deadlines)
            return None, page.decode("utf-8", "replace"), resp.geturl(), resp.headers.get_all("Set-Cookie") or []

    for _ in range(3):
        size, page, final, cookies = retrying(url, lambda: step(url), cancel=cancel)
        if page is None:
            return Remote(url=url, headers=headers, size=size if size is not None and size >= 0 else None,
                          version=f"gdrive:{source.file_id}")
        url, extra = _next_url(source.file_id, page, final, cookies)
        headers.update(extra)
    raise DownloadError(f"Google Drive file {source.file_id}: still a confirmation page after 3 steps")

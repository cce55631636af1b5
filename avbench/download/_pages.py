"""Recognising a web page where a file was expected, and saying what the page is.

Hosts answer an HTML page with status 200 instead of the file when a quota is exceeded, when a
virus-scan confirmation is needed (Google Drive), or when a login is required; saved as the file,
such a page would pass for the data wherever no hash is published.

Example:
    >>> looks_like_page(b"  <!DOCTYPE html><html>", "application/octet-stream")
    True
    >>> looks_like_page(b"RIFF....WAVE", "audio/wav")
    False
    >>> describe_page("<html>Too many users have viewed or downloaded this file recently</html>")
    'Google Drive says the download quota is exceeded; try later or use --mirror'
"""

from __future__ import annotations

import re

__all__ = ["looks_like_page", "describe_page", "expects_page"]

_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body)", re.IGNORECASE)


def expects_page(name: str) -> bool:
    """Whether a file called ``name`` may legitimately be HTML."""
    return name.lower().endswith((".html", ".htm", ".xhtml"))


def looks_like_page(first: bytes, content_type: str | None) -> bool:
    """Whether a body starting with ``first`` and sent as ``content_type`` is a web page."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    return ctype in ("text/html", "application/xhtml+xml") or bool(_HTML_START.match(first[:1024]))


def describe_page(page: str) -> str:
    """What a page sent instead of a file says, as the start of a one-line error."""
    low = page.lower()
    if "too many users" in low or "quota exceeded" in low or "download quota" in low:
        return "Google Drive says the download quota is exceeded; try later or use --mirror"
    if "virus" in low and ("scan" in low or "download anyway" in low):
        return ("Google Drive answered its virus-scan confirmation page instead of the file; the confirmation "
                "step failed, rerun or use --mirror")
    if "accounts.google.com" in low or "sign in" in low or "log in" in low or "login" in low:
        return "the host asks to sign in (the file is not public, or the link needs a login); use --mirror"
    title = re.search(r"<title[^>]*>([^<]{1,120})", page, re.IGNORECASE)
    what = f" titled {title.group(1).strip()!r}" if title else ""
    return f"the server answered a web page{what} instead of the file; the URL may have moved, use --mirror"

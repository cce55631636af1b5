"""A griffe extension for avbench docstrings, applied when the docs are built (the sources stay as they are).

- A Google-style ``Example:`` section is read as ``Examples:``: griffe parses only the plural as an
  examples section (code blocks) and renders the singular as an admonition of Markdown text.
- Sphinx roles (``:mod:`~avbench.metrics.sed.io```, ``:func:`psds```, ...) become inline code of the
  name they show (the last component with ``~``).
- Outside code, ``][`` is escaped: shapes such as ``[10][11]`` and indexing such as ``x["a"]["b"]``
  are text, not Markdown reference links (avbench docstrings never use that link syntax).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_SINGULAR = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)
_ROLE = re.compile(r":(?:mod|func|class|meth|attr|data|obj|exc|const):`(~?)([^`]+)`")


def _no_ref_links(text: str) -> str:
    out = []
    for line in text.split("\n"):
        if line.lstrip().startswith((">>>", "...")):
            out.append(line)
            continue
        parts = line.split("`")
        out.append("`".join(p.replace("][", "]\\[") if i % 2 == 0 else p for i, p in enumerate(parts)))
    return "\n".join(out)


def _role(m: re.Match[str]) -> str:
    name = m.group(2).strip()
    return f"`{name.rsplit('.', 1)[-1] if m.group(1) else name}`"


class ExampleSections(griffe.Extension):
    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            text = _ROLE.sub(_role, _SINGULAR.sub(r"\1Examples:", obj.docstring.value))
            obj.docstring.value = _no_ref_links(text)

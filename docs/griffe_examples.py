"""A griffe extension for avbench docstrings, applied when the docs are built (the sources stay as they are).

- A Google-style ``Example:`` section is read as ``Examples:``: griffe parses only the plural as an
  examples section (code blocks) and renders the singular as an admonition of Markdown text.
- Sphinx roles (``:mod:`~avbench.metrics.sed.io```, ``:func:`psds```, ...) become inline code of the
  name they show (the last component with ``~``).
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_SINGULAR = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)
_ROLE = re.compile(r":(?:mod|func|class|meth|attr|data|obj|exc|const):`(~?)([^`]+)`")


def _role(m: re.Match[str]) -> str:
    name = m.group(2).strip()
    return f"`{name.rsplit('.', 1)[-1] if m.group(1) else name}`"


class ExampleSections(griffe.Extension):
    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_role, _SINGULAR.sub(r"\1Examples:", obj.docstring.value))

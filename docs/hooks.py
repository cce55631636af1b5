"""MkDocs hooks: one page per dataset and per metric family, generated from the registries.

The pages are built from what avbench itself knows (recipe metadata, tasks, registered metric
configurations) plus the modules' docstrings (rendered by mkdocstrings), so a new dataset or metric
family gets its page without editing the docs. Nothing here is written to disk.
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

_PAGES: dict[str, str] = {}


def _table(header: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in r) + " |")
    return "\n".join(out) + "\n"


def _dataset_page(name: str, recipe: Any) -> str:
    module = type(recipe).__module__
    tasks = recipe.tasks()
    parts = ", ".join(f"`{p}`" for p in recipe.parts)
    lines = [f"# {recipe.title or name}\n", f"`avbench download {name}` · recipe version {recipe.version} · parts {parts}\n"]
    if recipe.homepage:
        lines.append(f"Homepage: <{recipe.homepage}>  \nLicense: {recipe.license or 'see the homepage'}\n")
    lines.append("## Tasks\n")
    lines.append(_table(["task", "kind", "split", "classes", "metrics (primary first)"],
                        [[f"`{t.id}`", t.kind.value, t.split, len(t.labels), ", ".join(f"`{m.id}`" for m in t.metrics)]
                         for t in tasks]))
    if recipe.citation:
        lines.append("## Citation\n\n```bibtex\n" + recipe.citation.strip() + "\n```\n")
    lines.append("## Recipe\n\n::: " + module + "\n    options:\n      members: false\n      show_root_heading: false\n")
    return "\n".join(lines)


def _family_page(family: str, configs: list[Any], modules: list[str]) -> str:
    lines = [f"# {family} metrics\n", "Registered configurations (`avbench list metrics`, `avbench info ID`):\n"]
    lines.append(_table(["id", "version", "input", "parameters", "description"],
                        [[f"`{c.id}`", c.version, c.input, ", ".join(f"`{k}={v!r}`" for k, v in c.params.items()),
                          c.description] for c in configs]))
    lines.append("\nEach module below states its formulas, units, edge policies and every deliberate "
                 "deviation from the reference tools.\n")
    for mod in modules:
        lines.append(f"::: {mod}\n    options:\n      members: false\n      heading_level: 2\n")
    return "\n".join(lines)


_MAPPED = ("metrics", "recipes", "baselines")  # top-level folders installed as avbench.<name>


def _installed_layout(repo: Path) -> Path:
    """A temporary tree ``avbench/`` holding links to the core's entries and to the mapped folders,
    so that static analysis sees ``avbench.metrics`` where the installed package has it."""
    tmp = Path(tempfile.mkdtemp(prefix="avbench-docs-"))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    pkg = tmp / "avbench"
    pkg.mkdir()
    for entry in (repo / "avbench").iterdir():
        if entry.name != "__pycache__":
            os.symlink(entry, pkg / entry.name)
    for name in _MAPPED:
        os.symlink(repo / name, pkg / name)
    return tmp


@event_priority(100)  # before mkdocstrings reads its handler paths
def on_config(config: Any) -> Any:
    from avbench import registry

    repo = Path(config["config_file_path"]).resolve().parent
    handler = config["plugins"]["mkdocstrings"].config["handlers"]["python"]
    handler["paths"] = [str(_installed_layout(repo))]

    _PAGES.clear()
    ds_nav = []
    for name, recipe in sorted(registry.datasets().items()):
        path = f"datasets/{name}.md"
        _PAGES[path] = _dataset_page(name, recipe)
        ds_nav.append({recipe.title or name: path})
    by_family: dict[str, list[Any]] = {}
    roots: dict[str, str] = {}
    for mod in registry.plugin_modules("avbench.metrics", recursive=True):
        for cfg in getattr(mod, "METRICS", ()):
            by_family.setdefault(cfg.family, []).append(cfg)
            roots.setdefault(cfg.family, ".".join(mod.__name__.split(".")[:3]))
    m_nav = []
    for family, configs in sorted(by_family.items()):
        root = importlib.import_module(roots[family])
        mods = [root.__name__]
        if hasattr(root, "__path__"):  # a family package: its docstring, then every public module
            mods += [m.__name__ for m in registry.plugin_modules(root.__name__, recursive=True)]
        path = f"metrics/{family}.md"
        _PAGES[path] = _family_page(family, configs, mods)
        m_nav.append({family: path})
    nav = []
    for entry in config["nav"]:
        (title, target), = entry.items()
        nav.append({title: ds_nav if target == "datasets/" else m_nav if target == "metrics/" else target})
    config["nav"] = nav
    return config


def on_files(files: Any, config: Any) -> Any:
    for path, content in _PAGES.items():
        files.append(File.generated(config, path, content=content))
    return files

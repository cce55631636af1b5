"""The recipe interface every dataset module in :mod:`avbench.recipes` implements.

A recipe module defines ``RECIPE = MyRecipe()``; discovery (:mod:`avbench.registry`) does the rest.
A recipe says what files a dataset has (:meth:`Recipe.resources`), how to turn what is on disk
into :class:`~avbench.model.Clip` records (:meth:`Recipe.load`), its versioned splits and its
tasks, and how to write a tiny fixture in the real on-disk layout (:meth:`Recipe.make_toy`), which
the contract test (``tests/test_contract_recipes.py``) loads through the same code path.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, ClassVar

from avbench.errors import DataNotFoundError, InputError, did_you_mean
from avbench.model import Clip, SplitManifest, Task

__all__ = ["Recipe"]


class Recipe(abc.ABC):
    """Base class of dataset recipes.

    Class attributes a recipe sets: ``name`` (what users type), ``version`` (of the recipe's index
    and splits: bump when membership or labels change), ``title``, ``homepage``, ``license``,
    ``citation``, ``parts`` (the ``--parts`` it offers, ``meta`` first), ``audio_formats`` (the
    audio formats of a release that ships several, each also a part: the DCASE SELD sets' ``foa``
    and ``mic``, named by ``Clip.meta["formats"]``; empty for one format).
    """

    name: ClassVar[str]
    version: ClassVar[str]
    title: ClassVar[str] = ""
    homepage: ClassVar[str] = ""
    license: ClassVar[str] = ""
    citation: ClassVar[str] = ""
    parts: ClassVar[tuple[str, ...]] = ("meta",)
    default_parts: ClassVar[tuple[str, ...]] = ("meta",)
    audio_formats: ClassVar[tuple[str, ...]] = ()

    # -- what to fetch -------------------------------------------------------------------------
    def resources(self, *, parts: Collection[str] = ("meta",), split: str | None = None) -> list[Any]:
        """The :class:`~avbench.download.resource.Resource` list for ``parts`` (and ``split``)."""
        self.check_parts(parts)
        return []

    def check_parts(self, parts: Collection[str]) -> None:
        unknown = sorted(set(parts) - set(self.parts))
        if unknown:
            hint = did_you_mean(unknown[0], self.parts) if len(unknown) == 1 else ""
            raise InputError(
                f"dataset {self.name!r} has no part(s) {', '.join(unknown)}; its parts are {', '.join(self.parts)}{hint}"
            )

    def prepare(self, root: Path, *, parts: Collection[str], split: str | None = None, **options: Any) -> Any:
        """Make the data available under ``root``: by default fetch :meth:`resources` through the
        download engine. Recipes that generate data (``synth``) or post-process override this."""
        from avbench.download import fetch_resources

        return fetch_resources(self.resources(parts=parts, split=split), root, **options)

    # -- what is on disk -----------------------------------------------------------------------
    @abc.abstractmethod
    def splits(self, root: Path | None = None) -> SplitManifest:
        """The versioned split membership (``root`` is needed when it is read from the data)."""

    @abc.abstractmethod
    def tasks(self) -> list[Task]:
        """The benchmark tasks defined on this dataset."""

    @abc.abstractmethod
    def load(self, root: Path, *, split: str | None = None) -> dict[str, Clip]:
        """The clips under ``root`` (of ``split`` when given), keyed by clip id, in split order."""

    @abc.abstractmethod
    def make_toy(self, root: Path) -> None:
        """Write a tiny dataset in the real on-disk layout under ``root`` (for contract tests)."""

    def is_prepared(self, root: Path) -> bool:
        """Whether the metadata needed by :meth:`load` is on disk."""
        return root.is_dir() and any(root.iterdir())

    def require(self, root: Path) -> None:
        """Raise a :class:`DataNotFoundError` that says how to fetch the data when it is missing."""
        if not self.is_prepared(root):
            raise DataNotFoundError(
                f"no data for {self.name!r} in {root}: run `avbench download {self.name}` "
                f"(or pass --data-dir where it lives)"
            )

    def split_sizes(self, root: Path | None = None) -> dict[str, int] | None:
        """Clips per split: from the data under ``root`` when it is there, else from the recipe's
        packaged index (recipes with one override this); ``None`` when neither says."""
        try:
            manifest = self.splits(root if root is not None and self.is_prepared(root) else None)
        except (InputError, DataNotFoundError, OSError):
            return None
        return {k: len(v) for k, v in manifest.splits.items()}

    def split_names(self, root: Path | None = None) -> tuple[str, ...] | None:
        """The splits ``--split`` accepts: those of :meth:`split_sizes` unless a recipe knows
        splits it cannot count yet; ``None`` when unknown."""
        sizes = self.split_sizes(root)
        return None if sizes is None else tuple(sizes)

    def split_sizes_note(self, root: Path | None = None) -> str | None:
        """What :meth:`split_sizes` cannot say yet (e.g. a split counted only once its metadata is
        on disk), shown by ``avbench info`` beside the sizes; ``None`` when nothing is left out."""
        return None

    def info(self, root: Path | None = None) -> dict[str, Any]:
        """What ``avbench info NAME`` shows."""
        out: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "title": self.title,
            "homepage": self.homepage,
            "license": self.license,
            "citation": self.citation,
            "parts": list(self.parts),
            "tasks": {
                t.id: {
                    "kind": t.kind.value,
                    "split": t.split,
                    "classes": len(t.labels),
                    "metrics": [m.id for m in t.metrics],
                }
                for t in self.tasks()
            },
        }
        if root is not None:
            out["on_disk"] = self.is_prepared(root)
            if out["on_disk"]:
                try:
                    manifest = self.splits(root)
                    out["splits"] = {k: len(v) for k, v in manifest.splits.items()}
                    out["splits_sha256"] = manifest.digest()
                except (InputError, DataNotFoundError, OSError) as exc:
                    out["splits_error"] = str(exc)
        return out

    def reference(self, root: Path, task: Task, split: str) -> Mapping[str, Clip]:
        """The clips of ``split`` that ``task`` is scored on (all clips of the split by default)."""
        self.require(root)
        return self.load(root, split=split)

"""Dataset recipes of avbench (installed as ``avbench.recipes``): one module or package per dataset.

Each top-level module or package defines ``RECIPE``, an instance of :class:`avbench.dataset.Recipe`,
discovered by :mod:`avbench.registry`. A dataset that needs several modules is a package holding
them and its index data (file lists, sizes, hashes, splits) in ``index/``: ``recipes/ave/``
(metadata, media, features, YouTube, toy fixture), ``recipes/synth/`` (sounds, rendering, video).
The avbench 0.1 path ``avbench.recipes._ave_torch`` still imports, with a :class:`DeprecationWarning`.
"""

from avbench._moved import moved_dir

__path__.append(moved_dir(__file__))  # noqa: F821  (old module paths, for one release)

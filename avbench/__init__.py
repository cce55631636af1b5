"""avbench: datasets, metrics and baselines for audio-visual event recognition and localization.

Importing :mod:`avbench` does nothing but define names: no logging configuration, no network, no
heavy imports. The sub-packages are:

- :mod:`avbench.metrics`: every metric family (numpy and scipy only);
- :mod:`avbench.recipes`: one module per dataset, discovered by :mod:`avbench.registry`;
- :mod:`avbench.baselines`: reference models (``torch`` is the ``[baselines]`` extra);
- :mod:`avbench.download`: the one module through which every network byte goes.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

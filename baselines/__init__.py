"""Reference baselines of avbench (installed as ``avbench.baselines``): one module or package per model.

Each top-level module or package defines ``BASELINE``, discovered by :mod:`avbench.registry`.
Baselines that need torch import it inside their functions (extra ``[baselines]``).
"""

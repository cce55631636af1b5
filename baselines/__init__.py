"""Reference baselines of avbench, one module per model (installed as ``avbench.baselines``).

Each module defines ``BASELINE``, discovered by :mod:`avbench.registry`. Baselines that need torch
import it inside their functions (extra ``[baselines]``).
"""

"""Dataset recipes of avbench, one module per dataset (installed as ``avbench.recipes``).

Each module defines ``RECIPE``, an instance of :class:`avbench.dataset.Recipe`, discovered by
:mod:`avbench.registry`. Index data (file lists, sizes, hashes, splits) lives beside the module
under ``index/<dataset>/``.
"""

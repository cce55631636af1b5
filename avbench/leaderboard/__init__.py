"""The leaderboard: a server that scores uploaded submission bundles with the code of
``avbench evaluate`` (``avbench leaderboard serve``, the ``[server]`` extra), its web pages and
static site (``avbench leaderboard render``), and the challenge-platform adapters (EvalAI
``evaluate``, a Codabench competition bundle).

Importing this package imports nothing heavy: Starlette, uvicorn and SQLAlchemy are imported by
the modules that need them.
"""

"""``python -m avbench`` runs the command line."""

from avbench.cli import run

if __name__ == "__main__":
    run()

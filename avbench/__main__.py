"""``python -m avbench`` runs the command line."""

from avbench.cli import main

if __name__ == "__main__":
    main()

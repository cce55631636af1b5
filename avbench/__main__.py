"""``python -m avbench`` runs the command line."""

from avbench.cli import main

main()

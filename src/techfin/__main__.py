"""`python -m techfin` runs the command line."""

from techfin.cli import main

main()

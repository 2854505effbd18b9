"""``python -m harness.cli``: the same as the ``sorbench`` command."""

from harness.cli import main

main()

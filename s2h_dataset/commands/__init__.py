"""Subcommands of the `s2h` console script (see `s2h_dataset.cli`)."""

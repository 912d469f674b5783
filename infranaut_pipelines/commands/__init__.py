"""The ``infranaut`` subcommands a user runs from a shell or their own CI (check, baseline, run)."""

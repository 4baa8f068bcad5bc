"""The command line: ``areavasta`` and its groups of commands (``cli.main`` is the console script)."""

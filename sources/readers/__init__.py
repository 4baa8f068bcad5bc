"""Reader engines. Each turns the grids of one file into :class:`Extracted` budget lines."""

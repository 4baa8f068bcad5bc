"""Reading and validating inputs: containers, layouts, readers, checks, archive, intake."""

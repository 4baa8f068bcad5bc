"""areavasta: service-portfolio analysis for Italian provinces and metropolitan cities."""

__version__ = "0.1.0"

"""Deterministic, realistic sample budgets of provinces and metropolitan cities, in every layout."""

"""Charts (Altair) and the self-contained pages planners read."""

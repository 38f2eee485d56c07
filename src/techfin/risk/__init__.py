"""techfin.risk."""

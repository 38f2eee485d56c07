"""techfin.store."""

"""techfin.credit."""

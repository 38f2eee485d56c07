"""techfin.rating."""

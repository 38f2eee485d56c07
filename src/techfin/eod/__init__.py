"""techfin.eod."""

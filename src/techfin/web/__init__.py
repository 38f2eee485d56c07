"""techfin.web."""

"""techfin.codes."""

"""techfin.ip."""

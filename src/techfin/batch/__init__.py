"""techfin.batch."""

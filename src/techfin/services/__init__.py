"""techfin.services."""

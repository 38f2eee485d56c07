"""techfin.api."""

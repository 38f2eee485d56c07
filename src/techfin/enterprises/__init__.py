"""techfin.enterprises."""

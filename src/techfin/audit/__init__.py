"""techfin.audit."""

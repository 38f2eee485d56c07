"""techfin.recognition."""

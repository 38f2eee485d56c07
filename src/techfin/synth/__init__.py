"""techfin.synth."""

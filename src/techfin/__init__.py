"""techfin: financing science-and-technology enterprises (guidance of 2021-11-26)."""

__version__ = "0.1.0"

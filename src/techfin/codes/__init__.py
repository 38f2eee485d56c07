"""techfin.codes: identifiers checked exactly to official-rules §1-2.

- `techfin.codes.uscc`: unified social credit codes (GB 32100 + embedded GB 11714), single and
  bulk (`validate_many`);
- `techfin.codes.patent`: CN patent application numbers and legal terms;
- `techfin.codes.industry`: GB/T 4754-2017 as data, with the SME-size, high-tech manufacturing
  and strategic-emerging mappings;
- `techfin.codes.check.CodeCheck`: the shared, JSON-serialisable result.

See docs/codes.md.
"""

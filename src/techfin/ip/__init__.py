"""techfin.ip: IP pledge financing (guidance art. 15), pure domain code.

- `patents`: `Patent` and `LegalEvent` values; `checked_patent` validates the number.
- `status`: legal state and remaining life derived from events for any date; high-value flag.
- `rules`: terms, annual fees, grace and late fee as data (`data/patent_rules.yaml`).
- `valuation`: relief from royalty, income share, cost, market, real option (Decimal).
- `pledge`: pledge policies, registration refusals, collateral value, LTV, repayment.
- `monitor`: day-end alerts for pledged patents and pools (batch twin: `techfin.batch.ip`).
- `disposal`: judicial auction reserves, proceeds allocation, recovery rate.

See docs/ip.md.
"""

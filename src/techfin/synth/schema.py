"""Table layouts of the synthetic world (Arrow schemas; docs/synth.md explains each column).

Units: money columns end in `_fen` and hold integer fen (1 yuan = 100 fen) as int64, never
floats; `techfin.synth.fen_to_yuan` turns one into a `Decimal` yuan amount exactly. Dates are
date32. Counts are int64. The only float columns are rates and probabilities that are not
money (`rate_percent`, `pd_12m`).
"""

from __future__ import annotations

import pyarrow as pa

S = pa.string()
I = pa.int64()  # noqa: E741
D = pa.date32()
B = pa.bool_()
F = pa.float64()
LS = pa.list_(pa.string())


def _schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(name, typ) for name, typ in fields])


SCHEMAS: dict[str, pa.Schema] = {
    # --- the world (one batch, independent of the number of enterprises) ---
    "institutions": _schema(
        ("code", S),
        ("name", S),
        ("name_en", S),
        ("kind", S),
        ("uscc", S),
        ("province_code", S),
        ("area_code", S),
    ),
    "branches": _schema(
        ("code", S),
        ("institution_code", S),
        ("name", S),
        ("kind", S),
        ("parent_code", S),
        ("province_code", S),
        ("area_code", S),
        ("delegated_limit_fen", I),
    ),
    "users": _schema(
        ("username", S),
        ("password", S),
        ("role", S),
        ("display_name", S),
        ("institution_code", S),
        ("branch_code", S),
        ("enterprise_uscc", S),
        ("expert_code", S),
    ),
    "experts": _schema(
        ("code", S),
        ("name", S),
        ("kind", S),
        ("fields", LS),
        ("employer", S),
        ("institution_code", S),
        ("title", S),
        ("years_experience", I),
    ),
    # --- per chunk of enterprises ---
    "enterprises": _schema(
        ("enterprise_id", I),
        ("uscc", S),
        ("name", S),
        ("name_en", S),
        ("former_name", S),
        ("former_name_until", D),
        ("registered_on", D),
        ("province_code", S),
        ("province", S),
        ("city", S),
        ("area_code", S),
        ("industry_code", S),
        ("industry_section", S),
        ("industry_name", S),
        ("legal_form", S),
        ("registered_capital_fen", I),
        ("employees", I),
        ("size_class", S),
        ("profile", S),
        ("in_hitech_zone", B),
        ("hnte", B),
        ("tech_sme", B),
        ("innovative_sme", B),
        ("srdi", B),
        ("little_giant", B),
    ),
    "financials": _schema(
        ("enterprise_id", I),
        ("year", I),
        ("revenue_fen", I),
        ("cost_of_sales_fen", I),
        ("net_profit_fen", I),
        ("total_assets_fen", I),
        ("total_liabilities_fen", I),
        ("net_assets_fen", I),
        ("equity_raised_fen", I),
        ("dividends_fen", I),
        ("rd_expense_fen", I),
        ("rd_domestic_fen", I),
        ("inventory_fen", I),
        ("receivables_fen", I),
        ("payables_fen", I),
        ("prepayments_fen", I),
        ("advance_receipts_fen", I),
        ("employees", I),
        ("tech_staff", I),
        ("tax_credit_grade", S),
    ),
    "social_security": _schema(
        ("enterprise_id", I),
        ("year", I),
        ("quarter", I),
        ("staff_end", I),
        ("insured_end", I),
        ("insured_avg", I),
        ("insured_min", I),
    ),
    "tax": _schema(
        ("enterprise_id", I),
        ("year", I),
        ("quarter", I),
        ("vat_fen", I),
        ("cit_fen", I),
        ("cit_rate_percent", I),
    ),
    "customs": _schema(
        ("enterprise_id", I),
        ("year", I),
        ("quarter", I),
        ("exports_fen", I),
        ("imports_fen", I),
    ),
    "utilities": _schema(
        ("enterprise_id", I),
        ("year", I),
        ("quarter", I),
        ("power_kwh", I),
        ("water_m3", I),
    ),
    "titles": _schema(
        ("enterprise_id", I),
        ("title", S),
        ("certificate_no", S),
        ("issued_on", D),
        ("valid_until", D),
        ("issuer", S),
    ),
    "patents": _schema(
        ("application_no", S),
        ("enterprise_id", I),
        ("patent_type", S),
        ("filed_on", D),
        ("granted_on", D),
        ("status", S),
        ("status_on", D),
        ("expires_on", D),
        ("claims", I),
        ("ipc", S),
        ("forward_citations_5y", I),
        ("fee_paid_through_year", I),
        ("next_fee_due_on", D),
        ("next_fee_yuan", I),
        ("fee_reduction_percent", I),
        ("acquired", B),
        ("pledged", B),
    ),
    "patent_events": _schema(
        ("application_no", S),
        ("enterprise_id", I),
        ("event_on", D),
        ("event", S),
        ("counterparty", S),
        ("amount_fen", I),
    ),
    "funding_rounds": _schema(
        ("enterprise_id", I),
        ("round_no", I),
        ("stage", S),
        ("announced_on", D),
        ("amount_fen", I),
        ("post_money_fen", I),
        ("lead_investor_code", S),
    ),
    "credit_register": _schema(
        ("enterprise_id", I),
        ("loan_no", I),
        ("reported_on", D),
        ("lender", S),
        ("lender_kind", S),
        ("product", S),
        ("guarantee", S),
        ("balance_fen", I),
        ("opened_on", D),
        ("matures_on", D),
        ("rate_percent", F),
        ("classification", S),
        ("overdue_days", I),
    ),
    "court_records": _schema(
        ("enterprise_id", I),
        ("kind", S),
        ("case_no", S),
        ("court", S),
        ("filed_on", D),
        ("amount_fen", I),
        ("status", S),
    ),
    "expert_conflicts": _schema(
        ("expert_code", S),
        ("enterprise_id", I),
        ("uscc", S),
        ("relation", S),
        ("since", D),
    ),
    "truth": _schema(
        ("enterprise_id", I),
        ("as_of", D),
        ("pd_12m", F),
        ("default_12m", B),
        ("default_on", D),
    ),
}

# tables of the world batch; every other table comes with the chunks (users come in both:
# staff logins with the world, enterprise logins with chunk 0)
WORLD_TABLES = ("institutions", "branches", "users", "experts")


def table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    """Build table `name` with its declared schema (column order and types enforced)."""
    schema = SCHEMAS[name]
    missing = set(schema.names) ^ set(columns)
    if missing:
        raise ValueError(f"{name}: columns do not match the schema: {sorted(missing)}")
    arrays = [
        pa.array(columns[f.name], type=f.type)
        if not isinstance(columns[f.name], pa.Array)
        else columns[f.name].cast(f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)

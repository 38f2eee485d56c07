"""Tech-enterprise recognition and tagging (guidance article 2; official-rules §3–6).

Public API (money in 万元 as `Decimal`, ratios as `Decimal` fractions; every result has a
`rule_version` and `to_dict()` for JSON):

- `size.classify(industry, *, employees, revenue, assets)` — SME size (工信部联企业〔2011〕300号);
- `tech_sme.evaluate(...)` — 科技型中小企业 (国科发政〔2017〕115号, 2022 工作指引);
- `hnte.evaluate(...)` — 高新技术企业 (国科发火〔2016〕32号, 〔2016〕195号);
- `innovative_sme.evaluate(...)`, `srdi.evaluate(...)`, `little_giant.evaluate(...)` — the
  MIIT ladder (2022 tables; 2026 criteria unconfirmed and configurable);
- `tags.tag(industry_code, ipc_classes)` — high-tech manufacturing, strategic emerging,
  green tech, agri tech.

Rule sets are versioned YAML files in `techfin/recognition/data/` (see `rules.py`).
"""

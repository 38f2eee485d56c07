"""Refresh the message catalogs from the templates and web/messages.py.

    .venv/bin/python scripts/i18n.py            # extract, merge into zh and en, list untranslated
    .venv/bin/python scripts/i18n.py zh.json    # also fill zh translations from a JSON object
    .venv/bin/python scripts/i18n.py zh.json en.json   # and English labels for key-like ids

Existing translations are kept; obsolete ones are dropped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

WEB = Path(__file__).resolve().parents[1] / "src" / "techfin" / "web"


def extract() -> list[str]:
    ids = set()
    for _f, _l, message, _c, _ctx in extract_from_dir(
        str(WEB),
        [("**.py", "python"), ("**.html", "jinja2")],
        {"**.html": {"extensions": "jinja2.ext.i18n"}},
        keywords={"_": None},
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return sorted(ids)


def main() -> None:
    extra = json.loads(Path(sys.argv[1]).read_text()) if len(sys.argv) > 1 else {}
    extra_en = json.loads(Path(sys.argv[2]).read_text()) if len(sys.argv) > 2 else {}
    ids = extract()
    for lang in ("zh", "en"):
        path = WEB / "locale" / lang / "LC_MESSAGES" / "messages.po"
        old = {m.id: m.string for m in read_po(path.open("rb")) if m.id} if path.exists() else {}
        catalog = Catalog(locale=lang, project="techfin")
        for message_id in ids:
            text = old.get(message_id, "")
            if lang == "zh" and message_id in extra:
                text = extra[message_id]
            if lang == "en" and message_id in extra_en:
                text = extra_en[message_id]
            catalog.add(message_id, text)
        with path.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, width=100)
        if lang == "zh":
            missing = [m for m in ids if not catalog.get(m) or not catalog.get(m).string]
            print(json.dumps({m: "" for m in missing}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

"""Every message in the templates and web/messages.py has a Chinese translation."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

WEB = Path(str(resources.files("techfin.web")))
METHOD_MAP = [("**.py", "python"), ("**.html", "jinja2")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n"}}


def _message_ids() -> set[str]:
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), METHOD_MAP, OPTIONS, keywords={"_": None}
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_message_is_translated_to_chinese():
    with (WEB / "locale" / "zh" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh")
    translated = {m.id for m in catalog if m.id and m.string}
    ids = _message_ids()
    assert len(ids) > 50
    missing = sorted(ids - translated)
    assert missing == [], f"add these to locale/zh/LC_MESSAGES/messages.po: {missing}"


def test_no_translation_carries_a_percent_sign():
    """Jinja's i18n formats every translation with `%`: a stray one breaks the page at render."""
    for lang in ("zh", "en"):
        with (WEB / "locale" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        bad = sorted(m.id for m in catalog if m.id and m.string and "%" in m.string)
        assert bad == [], f"{lang}: remove the % sign from the translations of {bad}"

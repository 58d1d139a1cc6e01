"""Fill the Japanese catalogue from locale/ja/pending-*.json ({"msgid": "訳"}) and compile it.

A plural is {"msgid": {"msgid": ..., "msgid_plural": ..., "msgstr": ["訳"]}} (or "msgstr": "訳").

Run after `make messages` has added new msgids; the pending files are deleted once merged.
Usage: .venv/bin/python scripts/merge_translations.py
"""

import json
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "ja"
CATALOGUE = LOCALE / "LC_MESSAGES" / "django.po"


def main() -> None:
    translations: dict[str, str] = {}
    pending_files = sorted(LOCALE.glob("pending-*.json"))
    for pending in pending_files:
        translations.update(json.loads(pending.read_text(encoding="utf-8")))
    catalogue = polib.pofile(str(CATALOGUE))
    missing = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        text = translations.get(entry.msgid)
        if isinstance(text, dict):  # a plural: {"msgid": ..., "msgid_plural": ..., "msgstr": [one per form]}
            text = text["msgstr"] if isinstance(text["msgstr"], str) else text["msgstr"][0]
        if text is not None:
            if entry.msgid_plural:
                entry.msgstr_plural = {0: text}  # Japanese has one plural form
            else:
                entry.msgstr = text
            entry.flags = [flag for flag in entry.flags if flag != "fuzzy"]
        elif not (entry.msgstr or entry.msgstr_plural.get(0)):
            missing.append(entry.msgid)
    catalogue.save()
    catalogue.save_as_mofile(str(CATALOGUE.with_suffix(".mo")))
    for pending in pending_files:
        pending.unlink()
    for msgid in missing:
        print(f"untranslated: {msgid}")
    print(f"merged {len(translations)} translations, {len(missing)} untranslated")


if __name__ == "__main__":
    main()

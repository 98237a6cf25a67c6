"""Fill the English catalogue: its msgids are the English source text, so msgstr = msgid."""

from __future__ import annotations

import sys

import polib


def main(path: str) -> None:
    catalogue = polib.pofile(path)
    for entry in catalogue:
        # Overwrite every entry: makemessages' fuzzy guesses come from other, similar msgids.
        if entry.msgid_plural:
            entry.msgstr_plural = {0: entry.msgid, 1: entry.msgid_plural}
        else:
            entry.msgstr = entry.msgid
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = None
    catalogue.save(path)


if __name__ == "__main__":
    main(sys.argv[1])

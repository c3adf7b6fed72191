"""Set Estonian translations from the command line: po_set.py 'msgid=msgstr' ...
(for a few new strings; scripts/i18n then compiles and checks)."""
import sys

from babel.messages.pofile import read_po, write_po

PO = "translations/et/LC_MESSAGES/messages.po"

pairs = dict(arg.split("=", 1) for arg in sys.argv[1:])
with open(PO, "rb") as f:
    catalog = read_po(f)
for message in catalog:
    if message.id in pairs:
        message.string = pairs.pop(message.id)
        message.flags.discard("fuzzy")
with open(PO, "wb") as f:
    write_po(f, catalog, width=100)
if pairs:
    sys.exit(f"not in the catalogue (run scripts/i18n first): {list(pairs)}")

#!/usr/bin/env bash
# Extract the marked strings, merge them into the German and Spanish catalogues, compile them.
# Run after marking strings; then translate the new (empty) msgstr entries and run it again.
# The compiled .mo files are committed: the wheel ships them and tests/people/test_catalogues.py
# fails when one is stale or a marked string has no translation.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-$(dirname "$(command -v python)")/pybabel}"
[ -x "$PYBABEL" ] || PYBABEL=pybabel
dir=xobito_tickets/translations
"$PYBABEL" extract -F babel.cfg -k lazy_gettext -k _l --no-location --sort-output \
  --project xobito-tickets -o "$dir/messages.pot" xobito_tickets
for lang in de es; do
  "$PYBABEL" update --no-fuzzy-matching --ignore-obsolete -i "$dir/messages.pot" -d "$dir" -l "$lang"
done
"$PYBABEL" compile --statistics -d "$dir"

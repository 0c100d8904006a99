"""``python -m examples.host_app``: build the database and serve the example site on port 5000."""

import os

from . import create_app
from .setup import prepare_database

app = create_app()
with app.app_context():
    logins = prepare_database()
port = int(os.environ.get("PORT", "5000"))
print(f"\nExample Co on http://localhost:{port}/ - the helpdesk is at http://localhost:{port}/support/tickets")
print("Logins (email / password):")
for role, email, password in logins:
    print(f"  {role:<8} {email} / {password}")
print()
app.run(host="127.0.0.1", port=port, debug=True, use_reloader=False)

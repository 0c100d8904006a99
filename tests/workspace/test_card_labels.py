"""On a phone, table rows become cards; each value cell names its column ("Open: 7", not a bare "7").

The CSS prints ``data-label`` before the value under 720 px (tests/e2e checks the rendering);
here every value cell of the staff tables and the portal list is checked to carry one.
"""

import re

import pytest

from .conftest import login

#: The cells that need no label: the row's title (the subject or name) and its buttons.
UNLABELLED = ("xt-subject", "xt-row-actions", "xt-nowrap")


def _cells(page):
    body = re.search(r"<tbody>(.*?)</tbody>", page, flags=re.S).group(1)
    return re.findall(r"<td([^>]*)>", body)


@pytest.mark.parametrize(
    "email, path, labels",
    [
        ("ada@acme.test", "/acme/admin/departments", {"Members", "Open", "Answered", "State"}),
        ("ada@acme.test", "/acme/admin/team", {"Email", "Role", "Departments", "State"}),
        ("sam@acme.test", "/acme/admin/tickets?tab=all", {"Customer", "Department", "Assignee", "Last message by"}),
        ("carla@acme.test", "/acme/tickets", {"Department", "Priority", "Status", "Last activity"}),
    ],
    ids=["departments", "team", "queue", "portal list"],
)
def test_every_value_cell_names_its_column(client, desk, email, path, labels):
    login(client, email)
    response = client.get(path)
    assert response.status_code == 200
    cells = _cells(response.get_data(as_text=True))
    assert cells
    found = {m.group(1) for attrs in cells for m in [re.search(r'data-label="([^"]+)"', attrs)] if m}
    assert labels <= found, labels - found
    for attrs in cells:
        if "data-label" not in attrs:
            assert any(name in attrs for name in UNLABELLED), attrs

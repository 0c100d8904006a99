"""The permission matrix: every portal and staff-side route × method × who is asking.

Read a row as "this request, made by each of the eight people, answers …". 302 for
anonymous visitors is the login page (an admin of another workspace gets 404: a login of
one workspace opens nothing in another); 302 for staff on a portal page is the staff view of the same thing;
404 is "not found", the same answer as for something that does not exist; 200 a
page; 303 the redirect after a change. Where the answer is a refusal, and for every
GET, nothing may change: no row in any table (tickets, replies, history, outbox,
departments, people) and no file. Where a POST is allowed, something must change.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from .conftest import login, snapshot

#: The columns of the matrix, in order.
ROLES = {
    "anonymous": None,
    "owner": ("carla@acme.test", "acme"),
    "other_customer": ("oscar@acme.test", "acme"),
    "staff_in_department": ("sam@acme.test", "acme"),
    "staff_outside": ("bea@acme.test", "acme"),
    "staff_assigned_outside": ("alex@acme.test", "acme"),
    "admin": ("ada@acme.test", "acme"),
    "admin_of_other_tenant": ("gary@globex.test", "globex"),
}


@dataclass
class Route:
    method: str
    path: str
    expected: str
    data: dict | None = None
    #: Roles for which the allowed answer changes nothing (a bulk action whose tickets
    #: they may not see: "not found"; "Take it" on a ticket already theirs).
    unchanged: tuple = ()

    def expectation(self, role):
        return int(self.expected.split()[list(ROLES).index(role)])


#: A due time the due-time form takes (in the future, within a year).
_A_MONTH_AHEAD = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")

# fmt: off
ROUTES = [
    # The customer portal.                                                 anon own  oth  in   out  asg  adm  othT
    Route("GET", "/acme/tickets",                                          "302 200 200 302 302 302 302 404"),
    # The portal's create form is for customers: staff are sent to the staff side's form.
    Route("GET", "/acme/tickets/create",                                   "302 200 200 302 302 302 302 404"),
    Route("POST", "/acme/tickets/store",                                   "302 303 303 302 302 302 302 404",
          {"subject": "New one", "department": "{support}", "priority": "high", "body": "Please help."}),
    Route("GET", "/acme/tickets/{open}",                                   "302 200 404 302 302 302 302 404"),
    Route("POST", "/acme/tickets/{open}/reply",                            "302 303 404 303 404 303 303 404",
          {"body": "Any news on this?"}),
    Route("POST", "/acme/tickets/{open}/close",                            "302 303 404 303 404 303 303 404"),
    Route("GET", "/acme/tickets/{open}/download?attachment={att}",         "302 200 404 200 404 200 200 404"),
    # The staff side: tickets.
    Route("GET", "/acme/admin/tickets",                                    "302 404 404 200 200 200 200 404"),
    Route("GET", "/acme/admin/tickets/{open}",                             "302 404 404 200 404 200 200 404"),
    Route("POST", "/acme/admin/tickets/{open}/reply",                      "302 404 404 303 404 303 303 404",
          {"body": "We are on it."}),
    Route("POST", "/acme/admin/tickets/{open}/close",                      "302 404 404 303 404 303 303 404"),
    Route("POST", "/acme/admin/tickets/{closed}/reopen",                   "302 404 404 303 404 303 303 404"),
    Route("POST", "/acme/admin/tickets/{open}/assign",                     "302 404 404 303 404 303 303 404",
          {"department": "{support}", "assignee": "{sam}"}),
    Route("POST", "/acme/admin/tickets/{open}/priority",                   "302 404 404 303 404 303 303 404",
          {"priority": "urgent"}),
    # A due time set by hand (service levels): a time a month ahead, in the staff member's zone.
    Route("POST", "/acme/admin/tickets/{open}/due",                        "302 404 404 303 404 303 303 404",
          {"due_at": _A_MONTH_AHEAD}),
    Route("GET", "/acme/admin/tickets/{open}/download?attachment={att}",   "302 404 404 200 404 200 200 404"),
    # Workspace tools on the portal: image previews and CC.
    Route("GET", "/acme/tickets/{open}/preview?attachment={img}",          "302 200 404 200 404 200 200 404"),
    Route("GET", "/acme/tickets/{closed}/cc",                              "302 200 404 302 302 302 302 404"),
    Route("POST", "/acme/tickets/{open}/cc",                               "302 303 404 303 404 303 303 404",
          {"email": "partner@example.com"}),
    Route("POST", "/acme/tickets/{closed}/cc/remove",                      "302 303 404 303 404 303 303 404",
          {"email": "boss@example.com"}),
    # Workspace tools on the staff side: previews, CC, merge, tickets for customers, canned replies.
    Route("GET", "/acme/admin/tickets/{open}/preview?attachment={img}",    "302 404 404 200 404 200 200 404"),
    Route("GET", "/acme/admin/tickets/{closed}/cc",                        "302 404 404 200 404 200 200 404"),
    Route("POST", "/acme/admin/tickets/{open}/cc",                         "302 404 404 303 404 303 303 404",
          {"email": "partner@example.com"}),
    Route("POST", "/acme/admin/tickets/{closed}/cc/remove",                "302 404 404 303 404 303 303 404",
          {"email": "boss@example.com"}),
    Route("GET", "/acme/admin/tickets/{open}/merge",                       "302 404 404 200 404 200 200 404"),
    Route("POST", "/acme/admin/tickets/{open}/merge",                      "302 404 404 303 404 303 303 404",
          {"into": "{closed}"}),
    Route("GET", "/acme/admin/tickets/create",                             "302 404 404 200 200 200 200 404"),
    Route("POST", "/acme/admin/tickets/create",                            "302 404 404 303 303 303 303 404",
          {"customer": "phoned@example.com", "subject": "Phoned in", "department": "{support}", "priority": "high",
           "body": "Called about the printer."}),
    Route("GET", "/acme/admin/canned-replies",                             "302 404 404 200 200 200 200 404"),
    Route("GET", "/acme/admin/canned-replies/create",                      "302 404 404 200 200 200 200 404"),
    Route("POST", "/acme/admin/canned-replies/create",                     "302 404 404 303 303 303 303 404",
          {"title": "Mine", "body": "Hello {{ customer.name }}", "department": "", "personal": "y"}),
    Route("GET", "/acme/admin/canned-replies/{shared}/edit",               "302 404 404 404 404 404 200 404"),
    Route("POST", "/acme/admin/canned-replies/{shared}/edit",              "302 404 404 404 404 404 303 404",
          {"title": "Thanks!", "body": "Thanks.", "department": ""}),
    Route("POST", "/acme/admin/canned-replies/{shared}/delete",            "302 404 404 404 404 404 303 404"),
    Route("GET", "/acme/admin/canned-replies/{personal}/edit",             "302 404 404 200 404 404 404 404"),
    Route("POST", "/acme/admin/canned-replies/{personal}/edit",            "302 404 404 303 404 404 404 404",
          {"title": "Bye", "body": "Bye", "department": "", "personal": "y"}),
    Route("POST", "/acme/admin/canned-replies/{personal}/delete",          "302 404 404 303 404 404 404 404"),
    # The staff workspace: notes, tags, "Take it", the properties panel, bulk actions.
    Route("POST", "/acme/admin/tickets/{open}/note",                       "302 404 404 303 404 303 303 404",
          {"body": "Internal only."}),
    Route("POST", "/acme/admin/tickets/{open}/reply",                      "302 404 404 303 404 303 303 404",
          {"body": "Note via the composer.", "kind": "note"}),
    Route("POST", "/acme/admin/tickets/{open}/tags",                       "302 404 404 303 404 303 303 404",
          {"tags": "vip, printer"}),
    Route("POST", "/acme/admin/tickets/{open}/take",                       "302 404 404 303 404 303 303 404",
          unchanged=("staff_assigned_outside",)),
    Route("POST", "/acme/admin/tickets/{open}/properties",                 "302 404 404 303 404 303 303 404",
          {"department": "{support}", "assignee": "{sam}", "priority": "urgent", "tags": "vip"}),
    Route("POST", "/acme/admin/tickets/bulk",                              "302 404 404 303 303 303 303 404",
          {"tickets": ["{open}"], "action": "priority", "priority": "urgent"}, unchanged=("staff_outside",)),
    # The staff side: departments (admins only).
    Route("GET", "/acme/admin/departments",                                "302 404 404 404 404 404 200 404"),
    Route("GET", "/acme/admin/departments/create",                         "302 404 404 404 404 404 200 404"),
    Route("POST", "/acme/admin/departments/create",                        "302 404 404 404 404 404 303 404",
          {"name": "Returns", "description": "Parcels", "active": "y", "members": ["{sam}"]}),
    Route("GET", "/acme/admin/departments/{support}/edit",                 "302 404 404 404 404 404 200 404"),
    Route("POST", "/acme/admin/departments/{support}/edit",                "302 404 404 404 404 404 303 404",
          {"name": "Support", "description": "Help!", "active": "y", "members": ["{sam}", "{bea}"]}),
    Route("POST", "/acme/admin/departments/{legacy}/activate",             "302 404 404 404 404 404 303 404"),
    Route("POST", "/acme/admin/departments/{support}/deactivate",          "302 404 404 404 404 404 303 404"),
    Route("POST", "/acme/admin/departments/{legacy}/delete",               "302 404 404 404 404 404 303 404"),
    # The staff side: the team (admins only).
    Route("GET", "/acme/admin/team",                                       "302 404 404 404 404 404 200 404"),
    Route("GET", "/acme/admin/team/create",                                "302 404 404 404 404 404 200 404"),
    Route("POST", "/acme/admin/team/create",                               "302 404 404 404 404 404 303 404",
          {"name": "Nina New", "email": "nina@acme.test", "role": "staff", "password": "a long password"}),
    Route("GET", "/acme/admin/team/{oscar}/edit",                          "302 404 404 404 404 404 200 404"),
    Route("POST", "/acme/admin/team/{oscar}/edit",                         "302 404 404 404 404 404 303 404",
          {"name": "Oscar Renamed", "email": "oscar@acme.test", "role": "customer"}),
    Route("POST", "/acme/admin/team/{oscar}/deactivate",                   "302 404 404 404 404 404 303 404"),
    Route("POST", "/acme/admin/team/{dora}/reactivate",                    "302 404 404 404 404 404 303 404"),
]
# fmt: on


def _fill(value, names):
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value.format(**names)


def _names(world, desk):
    return {
        "open": desk.open_number,
        "closed": desk.closed_number,
        "att": desk.attachment_id,
        "img": desk.image_id,
        "shared": desk.shared_canned_id,
        "personal": desk.personal_canned_id,
        "support": world.support_id,
        "legacy": world.legacy_id,
        "sam": world.staff_id,
        "bea": world.billing_staff_id,
        "oscar": world.other_customer_id,
        "dora": desk.dora_id,
    }


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.path}" for r in ROUTES])
def test_permission_matrix(route, role, app, client, world, desk):
    names = _names(world, desk)
    if ROLES[role]:
        email, tenant = ROLES[role]
        login(client, email, tenant)
    path = route.path.format(**names)
    data = {key: _fill(value, names) for key, value in (route.data or {}).items()}
    before = snapshot(app)

    response = client.open(path, method=route.method, data=data)
    body = response.get_data().decode("utf-8", "replace")  # an image preview is not text
    response.close()

    expected = route.expectation(role)
    assert response.status_code == expected, body[:2000]
    if expected == 302:
        location = response.headers["Location"]
        if role in ("anonymous", "admin_of_other_tenant"):
            assert location.startswith("/acme/login?next=")
        else:
            # Staff on a portal page go to the staff view of the same thing.
            assert location.startswith("/acme/admin/tickets"), location
    changed = snapshot(app) != before
    if route.method == "GET" or expected in (302, 404) or role in route.unchanged:
        assert not changed, "a refused request or a GET changed something"
    else:
        assert changed, "an allowed action changed nothing"

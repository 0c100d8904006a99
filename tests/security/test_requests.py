"""Malformed and oversized requests (SPEC §10, §13): resource exhaustion through huge
bodies or thousands of form parts, and crashes (500s that leak tracebacks or take workers
down) through garbage in query parameters, URLs and form fields. The answer is a 4xx page
or the parameter is ignored, never a 500, and nothing is stored."""

import pytest
from werkzeug.datastructures import MultiDict

from xobito_tickets.config import MIB

from .conftest import snapshot


@pytest.fixture
def customer(login_as, make):
    make.ticket()
    return login_as("carla@acme.test")


@pytest.fixture
def staff(app, login_as, make):
    make.ticket()
    return login_as("ada@acme.test")


def test_limits_are_configured(app):
    """The request limits of SPEC §13 are set: body size, form memory and number of parts."""
    assert app.config["MAX_CONTENT_LENGTH"] <= 64 * MIB
    assert app.config["MAX_FORM_MEMORY_SIZE"] <= 1 * MIB
    assert app.config["MAX_FORM_PARTS"] <= 1000


def test_oversized_body_is_a_413(customer, app, world):
    """Resource exhaustion: a body over MAX_CONTENT_LENGTH gets a readable 413, nothing stored."""
    before = snapshot(app)
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    body = b'--b\r\nContent-Disposition: form-data; name="body"\r\n\r\n' + b"x" * size + b"\r\n--b--\r\n"
    response = customer.post("/acme/tickets/store", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert "Upload too large" in response.get_data(as_text=True)
    assert snapshot(app) == before


def test_too_many_form_parts_is_a_413(customer, app, world):
    """Resource exhaustion: thousands of tiny fields are refused before any view runs."""
    before = snapshot(app)
    fields = MultiDict([("subject", "Parts"), ("department", str(world.support_id)), ("body", "many parts")])
    for n in range(app.config["MAX_FORM_PARTS"] + 10):
        fields.add("status", str(n))
    response = customer.post("/acme/tickets/store", data=fields, content_type="multipart/form-data")
    assert response.status_code == 413
    assert snapshot(app) == before


def test_huge_text_field_is_a_413(customer, app, world):
    """Resource exhaustion: one form field larger than MAX_FORM_MEMORY_SIZE is refused."""
    before = snapshot(app)
    body = "x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)
    fields = {"subject": "Big", "department": world.support_id, "body": body}
    response = customer.post("/acme/tickets/store", data=fields, content_type="multipart/form-data")
    assert response.status_code == 413
    assert snapshot(app) == before


GARBAGE_LIST_QUERIES = [
    "after=!!!",
    "after=" + "A" * 5000,
    "before=%00%00",
    "after=dDk5OTk5OTk5OTk5OTk5OTk5OTk5OTl-aTE",  # a cursor of an impossible date
    "after=dC05OTk5OTk5OTk5OTk5OTk5OTk5OTl-aTE",
    "after=aTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
    "after=_w",
    "status=open&status=bogus&status=",
    "status=%ff%fe",
    "priority=urgent&priority=9999&priority=__class__",
    "department=abc",
    "department=-1",
    "department=99999999999999999999999999",
    "department=1e3",
    "page=-1",
    "page=999999999999",
    "sort=__import__('os')",
    "sort=priority;DROP TABLE tickets_tickets",
    "q=' OR 1=1 --",
    "q=%00",
    "q=" + "%F0%9F%92%A9" * 300,
    "%ff=%fe",
    "status[]=open",
]


@pytest.mark.parametrize("query", GARBAGE_LIST_QUERIES)
def test_garbage_query_on_the_customer_list_is_ignored(customer, app, query):
    """Crash by query parameter: the customer list ignores what it does not understand (200) or says 400."""
    before = snapshot(app)
    response = customer.get(f"/acme/tickets?{query}")
    assert response.status_code in (200, 400), response.status_code
    assert snapshot(app) == before


STAFF_GARBAGE = GARBAGE_LIST_QUERIES + [
    "assignee=abc",
    "assignee=-5",
    "assignee=99999999999999999999999",
    "assignee=me&assignee=none",
    "sort=activity&sort=priority&after=aTE",
    "sort=created&after=dDE~aTE~aTE",
    "sort=priority&before=aTI~dDE~aTE",
    "q=TKT-" + "9" * 40,
    "q=TKT-000001%00",
    "q=TKT-999999999999",
    "q=%23999999999999",
    "q=2147483648",
    "q=%25%25%25_",
]


@pytest.mark.parametrize("query", STAFF_GARBAGE)
def test_garbage_query_on_the_staff_queue_is_ignored(staff, app, query):
    """Crash by query parameter on the queue (sort keys, cursors, assignee, search)."""
    before = snapshot(app)
    response = staff.get(f"/acme/admin/tickets?{query}")
    assert response.status_code in (200, 400), response.status_code
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "number",
    [
        "TKT-1",
        "TKT-00000001",
        "TKT-" + "9" * 13,
        "TKT-999999999999",
        "TKT-2147483648",
        "TKT--00001",
        "tkt-000001",
        "TKT-٠٠٠٠٠١",
        "TKT-000001%00",
        "TKT-000001.json",
        "1",
        "0",
        "-1",
        "%2e%2e",
        "TKT-000001;drop",
    ],
)
def test_malformed_ticket_numbers_are_a_404(customer, app, number):
    """Crash or confusion by URL: a number that is not exactly TKT-NNNNNN is a 404 on every ticket route."""
    assert customer.get(f"/acme/tickets/{number}").status_code == 404
    assert customer.get(f"/acme/tickets/{number}/download?attachment=1").status_code == 404
    before = snapshot(app)
    assert customer.post(f"/acme/tickets/{number}/reply", data={"body": "hello there"}).status_code == 404
    assert customer.post(f"/acme/tickets/{number}/close").status_code == 404
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", "x" * 256),
        ("subject", ""),
        ("body", "y" * 1001),
        ("body", "   \r\n\t  "),
        ("department", "not-a-number"),
        ("department", "99999999999999999999999999"),
        ("department", "-1"),
        ("priority", "critical"),
        ("priority", ""),
    ],
)
def test_bad_create_form_values_are_a_422(customer, app, world, field, value):
    """Crash by form value (too long, blank, wrong types): the form again with the error, nothing stored."""
    data = {"subject": "Fine subject", "department": world.support_id, "priority": "low", "body": "Fine body"}
    data[field] = value
    before = snapshot(app)
    response = customer.post("/acme/tickets/store", data=data)
    assert response.status_code == 422, response.status_code
    assert snapshot(app) == before


def test_invalid_utf8_in_the_form_is_not_a_500(customer, app, world):
    """Crash by encoding: bytes that are not UTF-8 (or encode a lone surrogate) are read as U+FFFD, no 500."""
    body = f"subject=%FF%FE%ED%A0%80&department={world.support_id}&priority=low&body=%C3%28%A0%A1".encode()
    response = customer.post("/acme/tickets/store", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (303, 400, 422)


NUL_REQUESTS = [
    ("get", "/acme/tickets?q=%00&status=open%00", None),
    ("get", "/acme/admin/tickets?q=%00", None),
    ("get", "/acme/admin/tickets?q=TKT-000001%00", None),
    ("post", "/acme/tickets/store", {"subject": "a\x00b", "department": "{support_id}", "body": "Fine body"}),
    ("post", "/acme/tickets/store", {"subject": "Fine", "department": "{support_id}", "body": "nul\x00inside"}),
    ("post", "/acme/tickets/TKT-000001/reply", {"body": "reply with \x00 in it"}),
    ("post", "/acme/admin/tickets/TKT-000001/reply", {"body": "reply with \x00 in it"}),
    ("post", "/acme/login", {"email": "carla@acme.test\x00", "password": "x"}),
    ("post", "/acme/register", {"name": "N\x00", "email": "n@example.com", "password": "long-enough-1"}),
]


@pytest.mark.parametrize(
    "method, url, data", NUL_REQUESTS, ids=[f"{m}-{n}" for n, (m, _u, _d) in enumerate(NUL_REQUESTS)]
)
def test_nul_bytes_are_a_400(staff, app, world, method, url, data):
    """Crash by NUL byte: PostgreSQL cannot store or compare text holding one, so it is refused up front (400)."""
    before = snapshot(app)
    if data is not None:
        data = {key: value.format(support_id=world.support_id) for key, value in data.items()}
        response = staff.post(url, data=data)
    else:
        response = staff.get(url)
    assert response.status_code == 400
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "method, url",
    [
        ("put", "/acme/tickets/store"),
        ("delete", "/acme/tickets/TKT-000001"),
        ("patch", "/acme/tickets/TKT-000001/reply"),
        ("get", "/acme/tickets/TKT-000001/close"),
        ("get", "/acme/logout"),
        ("post", "/acme/tickets"),
    ],
)
def test_wrong_methods_are_a_405(customer, app, method, url):
    """Verb tampering: routes answer only their own methods, and a GET never closes or logs out."""
    before = snapshot(app)
    assert getattr(customer, method)(url).status_code == 405
    assert snapshot(app) == before


def test_error_pages_hide_internals(customer):
    """Information leak: 404, 405 and 413 pages carry no traceback, path or SQL."""
    for response in (
        customer.get("/acme/tickets/TKT-000999"),
        customer.put("/acme/tickets/store"),
        customer.get("/acme/tickets?after=" + "%ff" * 100),
    ):
        html = response.get_data(as_text=True)
        assert "Traceback" not in html and "sqlalchemy" not in html.lower() and "/work/" not in html


#: Past the 32-bit id columns, below 2**63: ids that pass a naive "is it a 64-bit number" check.
BIG_ID = "3000000000"

BIG_ID_GETS = [
    f"/acme/tickets/TKT-000001/download?attachment={BIG_ID}",
    f"/acme/admin/tickets/TKT-000001/download?attachment={BIG_ID}",
    f"/acme/admin/departments/{BIG_ID}/edit",
    f"/acme/admin/team/{BIG_ID}/edit",
    "/acme/tickets/TKT-2147483648",
]


@pytest.mark.parametrize("url", BIG_ID_GETS)
def test_out_of_range_ids_in_urls_are_a_404(staff, url):
    """Crash by integer overflow: an id too large for its column is a 404 (a 500 on PostgreSQL before)."""
    assert staff.get(url, follow_redirects=True).status_code == 404


BIG_ID_POSTS = [
    ("/acme/admin/tickets/TKT-000001/assign", {"department": BIG_ID, "assignee": ""}, 422),
    ("/acme/admin/tickets/TKT-000001/assign", {"department": "1", "assignee": BIG_ID}, 422),
    (f"/acme/admin/departments/{BIG_ID}/deactivate", {}, 404),
    (f"/acme/admin/team/{BIG_ID}/deactivate", {}, 404),
    ("/acme/admin/departments/create", {"name": "Overflow", "members": [BIG_ID]}, 422),
    (
        "/acme/admin/tickets/create",
        {"customer": "new@example.com", "subject": "Overflow", "department": BIG_ID, "body": "Body"},
        422,
    ),
    ("/acme/admin/outbox/retry", {"id": BIG_ID}, (303, 400)),
    ("/acme/admin/outbox/retry", {"id": "9" * 30}, (303, 400)),
    ("/acme/admin/outbox/retry", {"id": "1e9"}, (303, 400)),
]


@pytest.mark.parametrize(
    "url, data, status", BIG_ID_POSTS, ids=[f"{u}-{n}" for n, (u, _d, _s) in enumerate(BIG_ID_POSTS)]
)
def test_out_of_range_ids_in_forms_are_refused(staff, app, url, data, status):
    """Crash by integer overflow through a form's id field: refused, nothing changed."""
    before = snapshot(app)
    assert staff.post(url, data=data).status_code in (status if isinstance(status, tuple) else (status,))
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "query",
    [
        "/acme/admin/team?after=" + BIG_ID,
        "/acme/admin/tickets?after=dDB-aTMwMDAwMDAwMDA",  # a cursor naming ticket id 3000000000
        "/acme/admin/tickets?sort=priority&before=aTkyMjMzNzIwMzY4NTQ3NzU4MDd-dDB-aTE",
        "/acme/tickets?after=dDB-aTMwMDAwMDAwMDA",
    ],
)
def test_out_of_range_ids_in_paging_are_ignored(staff, query):
    """Crash by integer overflow through a paging parameter: ignored or 400."""
    assert staff.get(query, follow_redirects=True).status_code in (200, 400)

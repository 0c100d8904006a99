"""The README's quick start, pasted into a small Flask site of its own, works."""

import re

import pytest
from flask import Flask, render_template_string
from flask_login import LoginManager, UserMixin, login_user
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader

from .conftest import ROOT

LAYOUT = """<!doctype html>
<html><head><title>{% block title %}{% endblock %} - My site</title>{% block head %}{% endblock %}</head>
<body><nav>My site</nav>{% block content %}{% endblock %}</body></html>"""


def quickstart_snippet():
    """Return the Python code of the README's quick start."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("<!-- quickstart:start -->") : text.index("<!-- quickstart:end -->")]
    return re.search(r"```python\n(.*?)```", block, re.S).group(1)


def test_the_quick_start_is_about_ten_lines():
    lines = [line for line in quickstart_snippet().splitlines() if line.strip()]
    assert len(lines) <= 15


@pytest.fixture
def site(tmp_path):
    """An existing site as the quick start assumes it: db, User, Flask-Login, a layout."""
    app = Flask("my_site")
    app.config.update(
        SECRET_KEY="my-site",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'site.sqlite'}",
        TESTING=True,
        TICKETS_STORAGE_ROOT=str(tmp_path / "files"),
        MAIL_SUPPRESS_SEND=True,
    )
    app.jinja_loader = DictLoader({"layout.html": LAYOUT})
    db = SQLAlchemy(app)

    class User(UserMixin, db.Model):
        id = db.Column(db.Integer, primary_key=True)
        email = db.Column(db.String(200))
        name = db.Column(db.String(200))
        is_admin = db.Column(db.Boolean, default=False)

    login_manager = LoginManager(app)
    login_manager.login_view = "login"
    login_manager.user_loader(lambda user_id: db.session.get(User, int(user_id)))

    @app.route("/login")
    def login():
        return render_template_string("{% extends 'layout.html' %}{% block content %}Log in{% endblock %}")

    @app.route("/as/<int:user_id>")
    def log_in_as(user_id):
        login_user(db.session.get(User, user_id))
        return "ok"

    with app.app_context():
        db.create_all()
        db.session.add_all(
            [User(email="ada@site.test", name="Ada", is_admin=True), User(email="cy@site.test", name="Cy")]
        )
        db.session.commit()
    yield {"app": app, "db": db, "User": User}
    with app.app_context():
        db.engine.dispose()


def _csrf(html):
    from tests.conftest import csrf_token_from

    return csrf_token_from(html)


def test_the_quick_start_works_when_pasted(site):
    namespace = dict(site)
    exec(compile(quickstart_snippet(), "README.md quick start", "exec"), namespace)
    app = site["app"]

    visitor = app.test_client()
    assert visitor.get("/support/tickets").location == "/login?next=%2Fsupport%2Ftickets"

    admin = app.test_client()
    admin.get("/as/1")
    page = admin.get("/support/admin/departments/create")
    assert page.status_code == 200 and "- My site</title>" in page.get_data(as_text=True)
    created = admin.post(
        "/support/admin/departments/create",
        data={"name": "General", "description": "", "active": "y", "csrf_token": _csrf(page.get_data(as_text=True))},
    )
    assert created.status_code in (302, 303), created.get_data(as_text=True)

    customer = app.test_client()
    customer.get("/as/2")
    form = customer.get("/support/tickets/create").get_data(as_text=True)
    department = re.search(r'<option value="(\d+)"[^>]*>General</option>', form).group(1)
    opened = customer.post(
        "/support/tickets/store",
        data={
            "subject": "Hello",
            "department": department,
            "priority": "low",
            "body": "It works?",
            "csrf_token": _csrf(form),
        },
    )
    assert opened.status_code == 303 and opened.location == "/support/tickets/TKT-000001"
    assert "It works?" in customer.get("/support/tickets/TKT-000001").get_data(as_text=True)
    assert "Hello" in admin.get("/support/admin/tickets").get_data(as_text=True)

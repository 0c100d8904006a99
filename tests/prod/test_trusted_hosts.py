"""Host header poisoning (outside scan, Info): in production the standalone app accepts only the
host of TICKETS_BASE_URL, so no redirect (Werkzeug's trailing-slash one included) points elsewhere."""

from xobito_tickets import create_app


def _production_app(tmp_path, **extra):
    return create_app(
        {
            "SECRET_KEY": "production-like",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'tickets.sqlite'}",
            "TICKETS_BASE_URL": "https://help.example.com",
            **extra,
        }
    )


def test_a_foreign_host_header_is_refused_in_production(tmp_path, dispose_later):
    app = _production_app(tmp_path)
    dispose_later(app)
    assert app.config["TRUSTED_HOSTS"] == ["help.example.com"]
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "evil.test"}).status_code == 400
    response = client.get("/healthz", base_url="https://help.example.com")
    assert response.status_code in (200, 503)


def test_an_operator_setting_wins(tmp_path, dispose_later):
    app = _production_app(tmp_path, TRUSTED_HOSTS=["help.example.com", "support.example.com"])
    dispose_later(app)
    assert app.config["TRUSTED_HOSTS"] == ["help.example.com", "support.example.com"]

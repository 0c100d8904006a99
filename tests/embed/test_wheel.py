"""The module as a host installs it: a built wheel, with no source checkout on the path.

A host site runs ``pip install xobito-tickets`` and then ``flask tickets db upgrade``: the
wheel must carry the migrations, the templates and the static files, not only the code.
"""

import shutil
import subprocess
import sys
import zipfile

import pytest

from xobito_tickets import migrate as schema
from xobito_tickets.db import metadata as tickets_metadata

from .conftest import ROOT, sqlite_tables

pytestmark = pytest.mark.slow


def _run(args, cwd, env_path=None, timeout=300):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if env_path:
        env["PYTHONPATH"] = env_path
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """Build the wheel from a copy of the sources and install it alone into a directory."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    source.mkdir()
    for name in ("pyproject.toml", "setup.cfg", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("xobito_tickets",):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(source)], work)
    (wheel,) = (work / "dist").glob("xobito_tickets-*.whl")
    site = work / "site"
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)], work)
    return {"wheel": wheel, "site": site, "work": work}


def test_the_wheel_carries_the_migrations_templates_and_assets(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for migration in (ROOT / "xobito_tickets" / "migrations" / "versions").glob("*.py"):
        assert f"xobito_tickets/migrations/versions/{migration.name}" in names
    assert "xobito_tickets/migrations/env.py" in names
    assert "xobito_tickets/migrations/script.py.mako" in names
    assert "xobito_tickets/templates/xobito_tickets/layout.html" in names
    assert any(name.startswith("xobito_tickets/static/") and name.endswith(".css") for name in names)
    # Every package of the source tree is in the wheel (the list in pyproject.toml is explicit).
    for init in (ROOT / "xobito_tickets").rglob("__init__.py"):
        assert init.relative_to(ROOT).as_posix() in names


def test_a_host_upgrades_its_database_from_the_installed_wheel(installed):
    """``flask tickets db upgrade`` in the example site, with xobito_tickets imported from the wheel."""
    database = installed["work"] / "host.sqlite"
    # The wheel's directory first, then the repository for the example site itself; the
    # working directory is elsewhere, so the source package cannot be imported by accident.
    env_path = f"{installed['site']}:{ROOT}"
    where = _run(
        [sys.executable, "-c", "import xobito_tickets.app as a; print(a.__file__); print(a.MIGRATIONS_DIR)"],
        installed["work"],
        env_path,
    ).split()
    assert where == [
        str(installed["site"] / "xobito_tickets" / "app.py"),
        str(installed["site"] / "xobito_tickets" / "migrations"),
    ]

    flask = [sys.executable, "-m", "flask", "--app", "examples.host_app"]
    run_env = {
        "FLASK_SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "FLASK_SECRET_KEY": "wheel-test",
    }
    args = ["env", *(f"{key}={value}" for key, value in run_env.items())]
    _run([*args, *flask, "tickets", "db", "upgrade"], installed["work"], env_path)
    assert set(tickets_metadata.tables) <= sqlite_tables(database)[0]
    current = _run([*args, *flask, "tickets", "db", "current"], installed["work"], env_path)
    (newest,) = schema.heads()
    assert current.splitlines()[0] == f"database: {newest}; newest: {newest}"


def test_the_standalone_app_migrates_from_the_installed_wheel(installed):
    """``flask db upgrade`` of the standalone app (Flask-Migrate, the packaged env.py)."""
    database = installed["work"] / "standalone.sqlite"
    args = ["env", f"FLASK_SQLALCHEMY_DATABASE_URI=sqlite:///{database}", "FLASK_SECRET_KEY=wheel-test"]
    flask = [sys.executable, "-m", "flask", "--app", "xobito_tickets.app"]
    _run([*args, *flask, "db", "upgrade"], installed["work"], str(installed["site"]))
    assert set(tickets_metadata.tables) <= sqlite_tables(database)[0]

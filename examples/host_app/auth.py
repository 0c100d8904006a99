"""The site's own login: email and password, Flask-Login."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from .models import User, db

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


def safe_next(target):
    """Return ``target`` if it is a path on this site (never another site), else None."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log a site user in and send them where they were going."""
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(db.select(User).where(User.email == email))
        if user is not None and user.check_password(form.password.data) and login_user(user):
            return redirect(safe_next(request.args.get("next")) or url_for("index"))
        flash("Wrong email or password.", "error")
        return render_template("auth/login.html", form=form), 422
    return render_template("auth/login.html", form=form), 422 if request.method == "POST" else 200


@bp.post("/logout")
@login_required
def logout():
    """Log out."""
    logout_user()
    return redirect(url_for("index"))

"""The example site's own database: its users, which know nothing about the helpdesk."""

from flask_login import UserMixin
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

db = SQLAlchemy()


class User(UserMixin, db.Model):
    """A member of the example site. ``role`` is the site's own: member, support or manager."""

    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), unique=True, nullable=False)
    full_name = db.Column(db.String(200), nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    role = db.Column(db.String(20), nullable=False, default="member")
    disabled = db.Column(db.Boolean, nullable=False, default=False)

    def set_password(self, password):
        """Store a hash of ``password``."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        """Return True if ``password`` is this user's."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self):
        return not self.disabled

"""Flask extensions, created here once and bound to the app in create_app()."""

from flask_htmx import HTMX
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from hearings.models.base import Base

db = SQLAlchemy(model_class=Base)
htmx = HTMX()
login_manager = LoginManager()
csrf = CSRFProtect()

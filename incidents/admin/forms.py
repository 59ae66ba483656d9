"""Forms of the administration pages: a person's e-mail, name and role."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField


class NewUserForm(FlaskForm):
    email = EmailField(_l("E-mail"))
    name = StringField(_l("Name"))
    # The least powerful role that enters data, so a slip of the hand creates no administrator.
    role = SelectField(_l("Role"), validate_choice=False, default="contributor")

"""Canned-reply templates: checked when saved, filled in a Jinja2 sandbox when used.

A template may say only ``{{ name.attribute }}`` for the variables of :data:`VARIABLES`,
optionally through one of :data:`FILTERS` with constant arguments
(``{{ customer.first_name|default("there", true) }}``). Anything else (statements,
calls, item access, unknown names, other filters) is refused at save time, so a
canned reply can never reach Python objects, other templates or data of the page.
The check walks the parsed template; rendering then runs in a
:class:`~jinja2.sandbox.SandboxedEnvironment` as a second wall.
"""

from flask_babel import gettext as _
from flask_babel import ngettext
from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

#: The variables a canned reply may use: object -> allowed attributes.
VARIABLES = {
    "customer": ("name", "first_name"),
    "ticket": ("number", "subject"),
    "agent": ("name",),
    "department": ("name",),
}

#: The filters a canned reply may use, each with the constant arguments it takes at most.
FILTERS = {"default": 2, "d": 2, "upper": 0, "lower": 0, "title": 0, "capitalize": 0, "trim": 0}

_ENV = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)

#: Every variable, as written in a template (shown next to the form).
VARIABLE_NAMES = tuple(
    f"{{{{ {name}.{attribute} }}}}" for name, attributes in VARIABLES.items() for attribute in attributes
)


class TemplateRefused(ValueError):
    """A canned reply that uses something it may not; ``message`` says what, fit for the form."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _variable(node):
    if not isinstance(node, nodes.Getattr) or not isinstance(node.node, nodes.Name):
        return None
    if node.node.ctx != "load" or node.attr not in VARIABLES.get(node.node.name, ()):
        return None
    return f"{node.node.name}.{node.attr}"


def _check_expression(node):
    """Refuse anything but a known variable, maybe wrapped in allowed filters with constant arguments."""
    if isinstance(node, nodes.Filter):
        allowed = FILTERS.get(node.name)
        if allowed is None:
            allowed_names = ", ".join(name for name in FILTERS if name != "d")
            raise TemplateRefused(
                _("The filter “%(name)s” is not available. Use one of: %(names)s.", name=node.name, names=allowed_names)
            )
        if node.kwargs or node.dyn_args or node.dyn_kwargs or len(node.args) > allowed:
            raise TemplateRefused(
                ngettext(
                    "The filter “%(name)s” takes at most %(num)d plain value here.",
                    "The filter “%(name)s” takes at most %(num)d plain values here.",
                    allowed,
                    name=node.name,
                )
            )
        for argument in node.args:
            if not isinstance(argument, nodes.Const) or not isinstance(argument.value, str | bool | int):
                raise TemplateRefused(
                    _("The filter “%(name)s” takes only quoted text (or true/false) here.", name=node.name)
                )
        if node.node is None:
            raise TemplateRefused(_("Filter blocks are not available in canned replies."))
        _check_expression(node.node)
        return
    if _variable(node) is None:
        raise TemplateRefused(_unknown(node))


def _unknown(node):
    if isinstance(node, nodes.Name):
        known = ", ".join(f"{name}.…" for name in VARIABLES)
        if node.name in VARIABLES:
            fields = ", ".join(f"{node.name}.{a}" for a in VARIABLES[node.name])
            return _("Write “%(name)s” with one of its fields: %(fields)s.", name=node.name, fields=fields)
        return _("Unknown variable “%(name)s”. Use one of: %(names)s.", name=node.name, names=known)
    if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name in VARIABLES:
        fields = ", ".join(f"{node.node.name}.{a}" for a in VARIABLES[node.node.name])
        written = f"{node.node.name}.{node.attr}"
        return _("Unknown variable “%(name)s”. Use one of: %(names)s.", name=written, names=fields)
    return _("Only the listed variables can be used between {{ and }}: %(names)s.", names=", ".join(VARIABLE_NAMES))


def check_template(source):
    """Parse ``source`` and raise :class:`TemplateRefused` unless it uses only the allowed variables and filters."""
    try:
        tree = _ENV.parse(source)
    except TemplateSyntaxError as error:
        raise TemplateRefused(
            _("This is not a valid template (line %(line)s): %(error)s", line=error.lineno, error=error.message)
        ) from None
    for statement in tree.body:
        if not isinstance(statement, nodes.Output):
            raise TemplateRefused(
                _("Statements such as {% … %} are not available in canned replies: use {{ variables }} only.")
            )
        for part in statement.nodes:
            if isinstance(part, nodes.TemplateData):
                continue
            _check_expression(part)


def first_name(name):
    """Return the first word of ``name`` (empty when there is none)."""
    words = (name or "").split()
    return words[0] if words else ""


def template_context(customer_name, ticket_number, ticket_subject, agent_name, department_name):
    """Return the variables of :data:`VARIABLES`; empty values are left out, so ``default`` fills them."""

    def present(**values):
        return {key: value for key, value in values.items() if value}

    return {
        "customer": present(name=customer_name, first_name=first_name(customer_name)),
        "ticket": present(number=ticket_number, subject=ticket_subject),
        "agent": present(name=agent_name),
        "department": present(name=department_name),
    }


def render_template_text(source, context):
    """Check ``source`` again and fill it with ``context`` (from :func:`template_context`) in the sandbox."""
    check_template(source)
    return _ENV.from_string(source).render(context)

"""Errors the services raise: a refused action, with a message fit to show next to a form field."""


class ServiceError(Exception):
    """A refused action, with a message fit to show the user and the form field."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class TicketClosedError(ServiceError):
    """A reply to a closed ticket."""

"""Example sites built with xobito_tickets."""

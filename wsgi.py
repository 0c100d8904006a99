from xobito_tickets import create_app

app = create_app()

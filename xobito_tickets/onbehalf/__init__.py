"""Opening a ticket on behalf of a customer (phone, walk-in): the staff form, and the customer account it may make.

May import models, db, errors, tenancy, web, team's services and the tickets package.
"""

"""Accounts: agencies, areas, users, sign-in and the admin pages that manage them."""

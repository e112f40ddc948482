"""Home: the signed-in user's starting page."""

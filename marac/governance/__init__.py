"""Subject access packs and "who has seen this case": the data protection officer's reads."""

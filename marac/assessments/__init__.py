"""Hate crime risk assessment: the versioned instrument, scoring and supervisor endorsement."""

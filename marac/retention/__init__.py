"""Retention with review: a schedule per record type, a nightly list of what is due, and
disposal (anonymise in place, delete documents) or a legal hold, decided by a person."""

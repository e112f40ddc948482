"""Repeat flags, merging people and a person's history: composed from several capabilities."""

"""Tests for the home page."""

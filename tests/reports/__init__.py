"""Tests of the reports and performance dashboard."""

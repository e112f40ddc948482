"""Notifications and reminders: in-app notices, emails through a chosen backend, reminders."""

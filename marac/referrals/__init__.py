"""Referrals to the panel: automatic triggers, partner referrals and coordinator screening."""

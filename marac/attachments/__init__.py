"""Documents attached to incidents, referrals and actions, scanned for viruses first."""

"""Bulk import of historic incidents and referrals from spreadsheets."""

"""Incidents: what happened, where, to whom, with which hate strands and perpetrators."""

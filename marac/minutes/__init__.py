"""Minutes: the panel's PDFs (full minutes, per-agency extracts, agendas) and their issue."""

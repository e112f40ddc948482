"""Static information pages anyone may read: accessibility statement, privacy notice."""

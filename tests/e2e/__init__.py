"""Browser tests: headless Chromium against the real app on a live server."""

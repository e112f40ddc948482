"""Long work off the request: a Huey queue, a `Job` row per job, and its progress page."""

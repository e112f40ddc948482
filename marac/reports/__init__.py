"""Reports and the performance dashboard for the community safety partnership."""

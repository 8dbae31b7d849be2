"""Watching a running build: the task guard (memory limit, stall detection, heartbeat lines)
and the state of failure alerts."""

"""Inspecting the task graph without running it: per-family status, invalidation plans,
pictures. Plain functions over tasks Luigi hands them; they import no Luigi module."""

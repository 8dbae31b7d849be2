"""The plr-luigi command line: synth, ensure-demo-store, status, invalidate, graph, gc, diff,
periodic (main.py; the graph commands and periodic builds in modules of their own)."""

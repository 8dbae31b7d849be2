"""The study's domain: factor registry and run-name parsing, the configs/*.yaml loader, display
names, subject-code patterns and the results schema. Imports nothing else of plr_luigi."""

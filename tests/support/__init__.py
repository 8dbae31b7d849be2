"""Helpers the tests share: real stores and builds copied instead of made again, Luigi run in
a subprocess or in process with its task events recorded, and real servers on free ports."""

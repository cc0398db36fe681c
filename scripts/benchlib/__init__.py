"""Scenario modules for scripts/bench: bulk (5), idle (7), scale (8). Each module has NAME
(the --only group) and bench(bench, runs, quick, tmp, rows), where `bench` is the
scripts/bench module itself (for its helpers: memif_config, Server, row, log, CPUs)."""

"""support-desk: the shell (core kernel, wiring, command line, migrations)."""

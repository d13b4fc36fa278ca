# The project's server settings for `make lab` (passed with --config).
import os

# Terminals start the user's shell as an ordinary interactive shell. Without this, a server whose
# output is not a terminal starts a login shell, whose profile rebuilds PATH and loses the project's
# environment (`desk: command not found`).
c.ServerApp.terminado_settings = {"shell_command": [os.environ.get("SHELL") or "/bin/sh"]}  # noqa: F821

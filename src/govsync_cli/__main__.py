"""python -m govsync_cli: the govsync command."""

from govsync_cli.main import run

run()

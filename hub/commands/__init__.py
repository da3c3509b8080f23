"""The `hub` subcommands, one module each."""

"""The command line: ``ringfence`` (Typer + Rich)."""

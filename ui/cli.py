"""Placeholder: subcommands registered later."""


def register(sub) -> None:
    return None

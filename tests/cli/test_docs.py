"""The README's command reference is generated from the commands and must be current."""

from __future__ import annotations

from pathlib import Path

from ringfence.cli.docs import END, START, render_reference

README = Path(__file__).parents[2] / "README.md"


def test_readme_reference_is_current() -> None:
    text = README.read_text("utf-8")
    block = text.split(START, 1)[1].split(END, 1)[0]
    assert block.strip() == render_reference().strip(), (
        "README.md's command reference is stale: run `python -m ringfence.cli.docs`"
    )


def test_every_command_and_option_has_help() -> None:
    reference = render_reference()
    sections = reference.split("### ")[1:]
    assert len(sections) >= 8
    for section in sections:
        title, _, body = section.partition("\n")
        assert body.strip(), f"{title} has no help text"
        for row in body.splitlines():
            if row.startswith("| `--"):
                assert row.split("|")[2].strip(), f"{title}: option without help: {row}"

"""Run the `spacelab` command in-process and capture what it printed."""

from spacelab.cli import main


def run_cli(capsys, *argv) -> tuple[int | None, str, str]:
    """(exit code, stdout, stderr) of `spacelab ARGV...`; a SystemExit gives its code."""
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err

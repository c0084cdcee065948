"""`workerjob diagram`: draw the model's diagrams (Mermaid, DOT).

The diagrams come from the model (`workerjob.conformance.render.diagrams`): the phases of a job
and of a continuation, explored from the model's own transitions, and a
counterexample as a sequence chart. Without `--out` the diagrams are printed; with it
each one is written to a file of its own, with an index page (`README.md`) that shows
the Mermaid ones inline. The committed copies live in `proofs_notes/diagrams/`
(`tests/docs/test_diagrams.py` fails when they are stale).

Exit 0 on success, 2 on bad usage (argparse's convention) or an unwritable folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workerjob.conformance.render import diagrams

INDEX = "README.md"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=diagrams.FORMATS, default=None,
                        help="mermaid or dot (default: mermaid when printing, "
                        "both with --out)")
    parser.add_argument("--out", metavar="DIR", type=Path, default=None,
                        help="write one file per diagram (and README.md) into DIR")


def generate(formats: tuple[str, ...] = diagrams.FORMATS) -> dict[str, str]:
    """File name -> contents: every diagram in `formats`, and the index page when the
    Mermaid ones are among them."""
    files = diagrams.files(formats)
    if "mermaid" in formats:
        files[INDEX] = diagrams.index(files)
    return files


def run(args: argparse.Namespace) -> int:
    if args.out is None:
        fmt = args.format or "mermaid"
        # `workerjob diagram | head`: the dispatcher ends a command whose reader left.
        for name in diagrams.NAMES:
            print(f"%% {name}" if fmt == "mermaid" else f"// {name}")
            print(diagrams.render(name, fmt), flush=True)
        return 0
    formats = diagrams.FORMATS if args.format is None else (args.format,)
    out: Path = args.out
    if out.exists() and not out.is_dir():
        print(f"workerjob diagram: --out {out}: exists and is not a directory", file=sys.stderr)
        return 2
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in generate(formats).items():
            (out / name).write_text(text, encoding="utf-8")
            print(out / name)
    except OSError as exc:
        print(f"workerjob diagram: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    from workerjob.conformance.cli import main

    sys.exit(main(["diagram", *sys.argv[1:]]))

"""The ``playbook`` command: parses arguments and calls the package.

Exit codes: 0 ok, 1 a step failed, 2 bad input or usage. Bad input is shown as a
problem list, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from playbook import __version__
from playbook.exceptions import BatchLocked, DataError, PlaybookError, StepFailed, UsageError
from playbook.report.csv_safety import write_csv
from playbook.report.kernel import without_iri_checks
from playbook.report.output import check_output_folder
from playbook.report.stopping import Stopped, raise_on_signals

logger = logging.getLogger("playbook")

EXIT_OK, EXIT_STEP_FAILED, EXIT_BAD_INPUT = 0, 1, 2
ANONYMIZE_HELP = "replace people's names and ids by stable pseudonyms in every output"


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a short message (its default, kept explicit)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"playbook: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _at_least_one(what: str):
    """An argparse type: a whole number of at least 1 (0 or less would switch the limit off)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(
                f"must be a whole number of {what}, at least 1; got {text!r}"
            )
        return value

    return parse


SECONDS = _at_least_one("seconds")
WORKERS = _at_least_one("worker processes")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="playbook",
        description="Conversion Playbook: diagnose where the sales "
        "funnel leaks and plan what to do about it.",
    )
    parser.add_argument("--version", action="version", version=f"playbook {__version__}")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="print only errors and the result"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("sample", help="write a seeded synthetic company workspace")
    p.add_argument("directory", type=Path)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--deals", type=int, default=20000)
    p.add_argument(
        "--lang", choices=["en", "zh"], default="en", help="report language written into pilot.yml"
    )

    p = sub.add_parser("init", help="write an empty, commented workspace to fill with your export")
    p.add_argument("directory", type=Path)
    p.add_argument("--force", action="store_true", help="overwrite an existing pilot.yml")

    p = sub.add_parser("validate", help="check a workspace and list every problem")
    p.add_argument("workspace", type=Path)
    _allow_path(p)
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    _on_bad_rows(p)

    p = sub.add_parser("run", help="run the pilot headless and write the HTML report")
    p.add_argument("workspace", type=Path)
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument(
        "--lang", choices=["en", "zh"], default=None, help="report language (default: pilot.yml's)"
    )
    p.add_argument(
        "--only", nargs="+", metavar="STEP", help="run only these steps (e.g. 00_data_intake or 02)"
    )
    p.add_argument("--jobs", type=WORKERS, default=2, help="steps run in parallel (default 2)")
    p.add_argument(
        "--timeout", type=SECONDS, default=600, help="seconds allowed per notebook cell (>= 1)"
    )
    p.add_argument("--anonymize", action="store_true", help=ANONYMIZE_HELP)
    _export_options(p)
    _allow_path(p)
    _on_bad_rows(p)

    p = sub.add_parser(
        "export", help="write the PDF and/or slide deck of an existing report folder"
    )
    p.add_argument("report", type=Path, help="a report folder (with summary.json)")
    _export_options(p, required=True)

    _add_unattended_commands(sub)
    _add_explore_commands(sub)
    return parser


def _add_unattended_commands(sub) -> None:
    """monthly, pseudonyms and score: the commands of scheduled and follow-up work."""
    p = sub.add_parser("monthly", help="the monthly report, per business unit, unattended")
    p.add_argument("workspace", type=Path)
    p.add_argument("--month", required=True, help="the month to report, as YYYY-MM")
    units = p.add_mutually_exclusive_group()
    units.add_argument("--unit", action="append", metavar="U", help="a unit to run (repeatable)")
    units.add_argument(
        "--all-units",
        action="store_true",
        help="every value of the unit column; the units' counts are merged into "
        "<month>.company.json (a company total only when every unit ran)",
    )
    p.add_argument("--jobs", type=WORKERS, default=2, help="units run in parallel (default 2)")
    p.add_argument(
        "--scheduler",
        metavar="ADDR",
        help="Dask scheduler address to run units on (tcp://host:8786), for workspaces "
        "larger than one machine",
    )
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--lang", choices=["en", "zh"], default=None)
    p.add_argument(
        "--timeout", type=SECONDS, default=600, help="seconds allowed per notebook cell (>= 1)"
    )
    p.add_argument("--anonymize", action="store_true", help=ANONYMIZE_HELP)
    _allow_path(p)

    p = sub.add_parser(
        "pseudonyms",
        help="map an anonymised report's pseudonyms back to real ids (a file that stays with you)",
    )
    p.add_argument("workspace", type=Path)
    _csv_out(p, "WORKSPACE/.playbook/pseudonyms.csv, beside the secret")
    _allow_path(p)

    p = sub.add_parser(
        "content",
        help="search the content library (titles, tags, texts; English or Chinese)",
        description="Search the workspace's content library by words in any language (a word "
        "of two characters such as 安全 finds 安全评审); results are ranked and shown with the "
        "effect each item had at the stage where it was used.",
    )
    p.add_argument("workspace", type=Path)
    p.add_argument("--search", required=True, metavar="WORDS", help="the words to look for")
    p.add_argument("--limit", type=_at_least_one("results"), default=20)
    p.add_argument("--lang", choices=["en", "zh"], default=None)
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    _allow_path(p)

    p = sub.add_parser(
        "score",
        help="score a fresh export's open deals with a saved model",
        description="Score a fresh export's open deals with the model a 'playbook run' of this "
        "workspace saved. Only a model this installation wrote and signed for this workspace "
        "is read: its signature (models/lead_scoring.joblib.sig.json, HMAC-SHA256) is checked "
        "before the model is loaded, and a changed, unsigned or foreign model is refused "
        "(exit 2), because a model file can run code when it is loaded.",
    )
    p.add_argument("workspace", type=Path)
    p.add_argument(
        "--model",
        type=Path,
        required=True,
        help="models/lead_scoring.joblib of a run of this workspace (signed; checked first)",
    )
    _csv_out(p, "reports/<workspace>/scores.csv")
    _allow_path(p)


def _add_explore_commands(sub) -> None:
    """explore and dashboard: the interactive ways into a workspace."""
    p = sub.add_parser("explore", help="open JupyterLab on the workspace's notebooks")
    p.add_argument("workspace", type=Path)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--lang", choices=["en", "zh"], default=None)
    _allow_path(p)

    p = sub.add_parser("dashboard", help="serve the explorer as a code-free app on 127.0.0.1")
    p.add_argument("workspace", type=Path)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--lang", choices=["en", "zh"], default=None)
    _allow_path(p)


def _export_options(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument(
        "--export",
        metavar="FORMATS",
        required=required,
        help="also write report.pdf and/or report.pptx: pdf, pptx or pdf,pptx",
    )
    parser.add_argument(
        "--paper", choices=["a4", "letter"], default="a4", help="PDF paper size (default a4)"
    )


def _csv_out(parser: argparse.ArgumentParser, default: str) -> None:
    """``--out FILE`` of a command that writes one CSV (checked by :func:`_check_out_file`)."""
    parser.add_argument("--out", type=Path, default=None, help=f"CSV to write (default: {default})")


def _allow_path(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-path",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        dest="allow_paths",
        help="a folder outside the workspace that its pilot.yml may read from (repeatable); "
        "without it a workspace reads only its own folder. Never taken from pilot.yml.",
    )


def _on_bad_rows(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--on-bad-rows",
        choices=["fail", "quarantine"],
        default=None,
        help="rows with problems: refuse the workspace (fail), or set them aside with their "
        "deal's rows into quarantine.csv while they stay under intake.max_quarantined "
        "(quarantine); default: intake.on_bad_rows of pilot.yml, else fail",
    )


def _cmd_sample(args: argparse.Namespace) -> int:
    from playbook.sample import generate

    if args.deals < 1:
        raise UsageError("--deals must be at least 1")
    generate(args.directory, seed=args.seed, deals=args.deals, language=args.lang)
    print(f"Sample workspace written to {args.directory}")
    return EXIT_OK


def _cmd_init(args: argparse.Namespace) -> int:
    from playbook.workspace.template import init_workspace

    written = init_workspace(args.directory, force=args.force)
    print(
        f"Template workspace written to {args.directory} ({len(written)} files). Fill the "
        f"tables from your CRM export (see EXPORT_GUIDE.md there), then run "
        f"'playbook validate {args.directory}'. FIVE_DAYS.md walks through the week; "
        f"managers fill assessment_form.xlsx on day 4."
    )
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from playbook.workspace.quarantine import load_quarantining

    try:
        dataset, aside = load_quarantining(
            args.workspace, allowed=args.allow_paths, policy=args.on_bad_rows
        )
    except DataError as err:
        if args.json:
            print(
                json.dumps(
                    {
                        "valid": False,
                        "problems_found": err.count,
                        "problems": [p.as_dict() for p in err.problems],
                    },
                    ensure_ascii=False,
                    indent=1,
                )
            )
            return EXIT_BAD_INPUT
        raise
    inventory = dataset.inventory()
    if args.json:
        rows = json.loads(inventory.to_json(orient="records", date_format="iso"))
        print(
            json.dumps(
                {
                    "valid": True,
                    "tables": rows,
                    "notes": dataset.notes,
                    "quarantined": aside.record(),
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return EXIT_OK
    print(f"{args.workspace}: valid.")
    for row in inventory.itertuples(index=False):
        if row.file is None:
            print(f"  {row.table:<13} not provided")
        else:
            span = (
                f"{row.first:%Y-%m-%d} – {row.last:%Y-%m-%d}"
                if row.rows and row.first == row.first
                else ""
            )
            print(f"  {row.table:<13} {row.rows:>9,} rows  {row.file:<24} {span}")
    for note in dataset.notes:
        print(f"  note: {note}")
    return EXIT_OK


def _run_options(args: argparse.Namespace) -> dict:
    """What 'run' and 'monthly' hand their runner alike: where to write, the language, the
    workers and their limit, the progress lines (none with --quiet), pseudonyms, the
    folders a workspace may read."""
    return {
        "out": args.out,
        "language": args.lang,
        "jobs": args.jobs,
        "timeout": args.timeout,
        "progress": (lambda message: None) if args.quiet else (lambda m: print(m, file=sys.stderr)),
        "anonymize": args.anonymize,
        "allowed": args.allow_paths,
    }


def _print_exports(paths) -> None:
    for path in paths:
        print(f"{path.suffix[1:].upper()}: {path}")


def _cmd_run(args: argparse.Namespace) -> int:
    from playbook.report.exports import parse_formats
    from playbook.report.runner import run_pilot

    result = run_pilot(
        args.workspace,
        only=args.only,
        exports=parse_formats(args.export),
        paper=args.paper,
        on_bad_rows=args.on_bad_rows,
        **_run_options(args),
    )
    print(f"Report: {result.index}")
    _print_exports(result.exports)
    if result.partial:
        print(
            "This report holds only the steps asked for with --only, so 'latest' was not "
            "moved to it.",
            file=sys.stderr,
        )
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from playbook.report.exports import export_report, parse_formats

    formats = parse_formats(args.export)
    folder = args.report
    if not (folder / "summary.json").is_file() or not (folder / "index.html").is_file():
        raise UsageError(
            f"{folder} is not a report folder (no summary.json and index.html): give a folder "
            "written by 'playbook run', e.g. reports/<workspace>/latest"
        )
    _print_exports(export_report(folder, formats, paper=args.paper))
    return EXIT_OK


def _cmd_monthly(args: argparse.Namespace) -> int:
    from playbook.report.batch import failure_report, run_monthly

    result = run_monthly(
        args.workspace,
        args.month,
        units=args.unit,
        all_units=args.all_units,
        scheduler=args.scheduler,
        **_run_options(args),
    )
    print(f"Monthly index: {result.base / (result.month + '.html')}")
    print(f"Batch summary: {result.base / (result.month + '.batch.json')}")
    print(f"Company roll-up: {result.base / (result.month + '.company.json')}")
    if not result.ok:
        print(failure_report(result), file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_STEP_FAILED


def _check_out_file(path: Path) -> None:
    """``--out FILE``: not a folder, and in a folder that can be written."""
    if path.is_dir():
        raise UsageError(f"--out {path}: this is a folder; give the CSV file to write")
    check_output_folder(path.parent)


def _cmd_score(args: argparse.Namespace) -> int:
    from playbook.report import safe_name
    from playbook.steps.scoring import score_workspace
    from playbook.workspace.load import apply_period, load_workspace

    if not args.model.is_file():
        raise UsageError(f"model file not found: {args.model}")
    if args.out is not None:
        _check_out_file(args.out)
    dataset = apply_period(load_workspace(args.workspace, allowed=args.allow_paths))
    try:
        scores = score_workspace(dataset, args.model, workspace=args.workspace)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = args.out or Path("reports") / safe_name(args.workspace.resolve().name) / "scores.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(scores, out)
    print(f"Scored {len(scores):,} open deals: {out}")
    return EXIT_OK


def _cmd_content(args: argparse.Namespace) -> int:
    from playbook.steps.content import analyse, results_text
    from playbook.workspace.load import apply_period, load_workspace

    dataset = apply_period(load_workspace(args.workspace, allowed=args.allow_paths))
    if dataset.content is None:
        raise UsageError(
            f"{args.workspace} has no content table: add content.csv (content_id, type, title, "
            "body or path, tags) to search it"
        )
    language = args.lang or dataset.config.language
    found = analyse(dataset, language=language).search(args.search, limit=args.limit)
    if args.json:
        print(found.to_json(orient="records", force_ascii=False, indent=1))
    else:
        print(results_text(found, args.search, language))
    return EXIT_OK


def _cmd_pseudonyms(args: argparse.Namespace) -> int:
    from playbook.report.anonymise import pseudonym_lookup
    from playbook.workspace.secret import SECRET_FILE

    if args.out is not None:
        _check_out_file(args.out)
    table = pseudonym_lookup(args.workspace, allowed=args.allow_paths)
    out = args.out or args.workspace / SECRET_FILE.parent / "pseudonyms.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(table, out)
    print(
        f"{len(table):,} pseudonyms with their real ids: {out}\n"
        "It holds real ids: keep it with the workspace, never send it with a report."
    )
    return EXIT_OK


def _session_options(args: argparse.Namespace) -> dict:
    """What 'explore' and 'dashboard' pass alike: the port, whether to open a browser, the
    language and the folders a workspace may read."""
    return {
        "port": args.port,
        "open_browser": not args.no_browser,
        "language": args.lang,
        "allowed": args.allow_paths,
    }


def _cmd_explore(args: argparse.Namespace) -> int:
    from playbook.explore.dashboard import explore

    check_output_folder(args.out)
    return explore(args.workspace, out=args.out, **_session_options(args))


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from playbook.explore.dashboard import serve_dashboard

    return serve_dashboard(args.workspace, **_session_options(args))


#: Commands that stop cleanly on SIGTERM / SIGINT (workers, kernels and temporary folders),
#: with the one line each prints then.
STOPPED_MESSAGE = {
    "run": "stopped by {signal}: workers stopped, temporary folders removed; "
    "the last good report and 'latest' are unchanged.",
    "monthly": "stopped by {signal}: workers stopped, temporary folders removed; "
    "units that had not finished keep their last good report and 'latest'.",
}

COMMANDS = {
    "sample": _cmd_sample,
    "init": _cmd_init,
    "validate": _cmd_validate,
    "run": _cmd_run,
    "monthly": _cmd_monthly,
    "export": _cmd_export,
    "score": _cmd_score,
    "content": _cmd_content,
    "pseudonyms": _cmd_pseudonyms,
    "explore": _cmd_explore,
    "dashboard": _cmd_dashboard,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``playbook`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    without_iri_checks()  # Jupyter servers (explore, dashboard) run in processes of their own
    # papermill announces every notebook it runs; the runner's own progress says enough.
    logging.getLogger("papermill").setLevel(logging.WARNING)
    try:
        if args.command in STOPPED_MESSAGE:
            with raise_on_signals():
                return COMMANDS[args.command](args)
        return COMMANDS[args.command](args)
    except Stopped as stop:
        message = STOPPED_MESSAGE[args.command].format(signal=stop.signal_name)
        print(f"playbook: {message}", file=sys.stderr)
        return stop.exit_code
    except DataError as err:
        print(str(err), file=sys.stderr)
        print(
            "Nothing was written. Fix the problems above and run the command again.",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except UsageError as err:
        print(f"playbook: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (BatchLocked, StepFailed, PlaybookError) as err:
        print(f"playbook: {err}", file=sys.stderr)
        return EXIT_STEP_FAILED
    except KeyboardInterrupt:
        print("playbook: interrupted; no report was replaced.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

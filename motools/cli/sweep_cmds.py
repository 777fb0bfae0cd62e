"""``motools sweep run | list | show | resume | retry | cancel | export``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from motools import heap
from motools.cli.output import ProgressLine, format_table
from motools.status import TERMINAL, Status
from motools.text import format_duration, format_value, safe_text

if TYPE_CHECKING:
    from motools.executors.base import ExecutorOverride
    from motools.store import Store
    from motools.workflow.events import RunEvent, SweepControl
    from motools.workflow.launch import SweepOutcome
    from motools.workflow.runner import CachePolicy

EXIT_OK, EXIT_FAILED, EXIT_CANCELLED = 0, 1, 130


def register(sub: Any) -> None:
    p = sub.add_parser("sweep", help="run and inspect sweeps")
    s = p.add_subparsers(dest="cmd", metavar="{run,list,show,resume,retry,cancel,export}", required=True)
    run = s.add_parser("run", help="run a saved spec (by name) or a spec file")
    run.add_argument("spec", metavar="SPEC_NAME_OR_FILE")
    run.add_argument("--max-parallel", type=int, help="override the spec's execution.max_parallel")
    run.add_argument(
        "--name",
        help="name the sweep (default: <spec>-<time>-<random>); an existing sweep of "
        "that name is resumed, and extended with any new grid values",
    )
    run.add_argument("--detach", action="store_true", help="run in a background worker and return at once")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.add_argument("--force", action="store_true", help="let the spec's output files overwrite old ones")
    run.add_argument("--trust", action="store_true", help="trust the modules whose callables a spec file names")
    _cache_options(run)
    run.set_defaults(func=cmd_run)
    ls = s.add_parser("list", help="list sweeps, newest first")
    ls.set_defaults(func=cmd_list)
    show = s.add_parser("show", help="a sweep's runs, status, metrics and errors")
    show.add_argument("name")
    show.set_defaults(func=cmd_show)
    for verb, text in (
        ("resume", "finish an interrupted, cancelled or failed sweep"),
        ("retry", "re-run only the failed (and cancelled) runs of a sweep"),
    ):
        cmd = s.add_parser(verb, help=text)
        cmd.add_argument("name")
        cmd.add_argument("--max-parallel", type=int)
        cmd.add_argument("--quiet", action="store_true")
        cmd.add_argument("--detach", action="store_true", help="run in a background worker and return at once")
        _cache_options(cmd)
        _executor_options(cmd)
        cmd.set_defaults(func=cmd_resume if verb == "resume" else cmd_retry)
    cancel = s.add_parser("cancel", help="stop a running sweep (from any terminal)")
    cancel.add_argument("name")
    cancel.set_defaults(func=cmd_cancel)
    export = s.add_parser("export", help="write results and samples (CSV), CI tables (CSV) and charts (PNG)")
    export.add_argument("name")
    export.add_argument("--csv", metavar="PATH", help="the results table, one row per run and task")
    export.add_argument("--samples", metavar="PATH", help="every score of every sample, with answer and target (CSV)")
    export.add_argument("--ci", metavar="PATH", help="a confidence-interval table (needs --group)")
    export.add_argument("--group", nargs="+", metavar="COL", default=[], help="columns to group the CI table by")
    export.add_argument(
        "--value", default="accuracy", help="the metric (or per-sample score) for --ci (default: accuracy)"
    )
    export.add_argument("--confidence", type=float, default=0.95)
    export.add_argument("--method", choices=["auto", "t", "wilson", "bootstrap"], default="auto")
    export.add_argument("--png", metavar="PATH", help="a chart (PNG, or SVG/PDF by extension; needs --x)")
    export.add_argument("--x", help="the parameter on the chart's x axis")
    export.add_argument("--y", default="accuracy", help="the metric on the chart (default: accuracy)")
    export.add_argument("--series", metavar="PARAM", help="one chart series per value of this parameter")
    export.add_argument("--heatmap", metavar="COL", help="draw a heatmap over --x and this parameter")
    export.add_argument(
        "--where",
        default="",
        metavar="EXPR",
        help="only rows where EXPR holds: 'task=hello_world', 'seed!=3', 'lr<1e-4'",
    )
    export.add_argument("--force", action="store_true", help="overwrite existing files")
    export.set_defaults(func=cmd_export)
    compare = s.add_parser(
        "compare", help="paired differences of a score between two sweeps (or configs), on the same samples"
    )
    compare.add_argument("name", help="the sweep to compare")
    compare.add_argument("baseline", nargs="?", help="the sweep to compare it with (a baseline sweep)")
    compare.add_argument("--metric", help="the per-sample score (default: the only one)")
    compare.add_argument("--group", metavar="PARAM", help="compare each value of this parameter")
    compare.add_argument("--confidence", type=float, default=0.95)
    compare.set_defaults(func=cmd_compare)


def _cache_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--rerun", metavar="STEP[,STEP]", default="", help="run these steps again even where a cached result exists"
    )
    p.add_argument("--no-cache", action="store_true", help="run every step again (results are re-cached)")


def _cache_policy(args: argparse.Namespace) -> CachePolicy:
    from motools.workflow.runner import CachePolicy

    return CachePolicy(not args.no_cache, frozenset(s.strip() for s in args.rerun.split(",") if s.strip()))


def _check_parallel(n: int | None) -> None:
    from motools.errors import MotoolsError

    if n is not None and n < 1:
        raise MotoolsError(f"--max-parallel must be at least 1, got {n}")


def _check_rerun(store: Store, name: str, args: argparse.Namespace) -> None:
    """``--rerun`` must name steps of the sweep's workflow (a typo must not silently re-run nothing)."""
    from motools.errors import MotoolsError
    from motools.workflow.launch import sweep_workflow

    wanted = _cache_policy(args).rerun
    if not wanted:
        return
    workflow, _ = sweep_workflow(store.get_sweep(name))
    steps = [s.name for s in workflow.steps]
    unknown = sorted(wanted - set(steps))
    if unknown:
        raise MotoolsError(
            f"--rerun: no step {', '.join(map(repr, unknown))} in this workflow; steps: {', '.join(steps)}"
        )


def _executor_options(cmd: argparse.ArgumentParser) -> None:
    from motools.executors.base import EXECUTOR_NAMES

    group = cmd.add_argument_group("where it runs this time (the spec's execution section stays as it is)")
    group.add_argument("--executor", choices=EXECUTOR_NAMES, help="local, processes or ray, instead of the spec's")
    group.add_argument("--workers", type=int, metavar="N", help="processes: pool size (default: cores - 1)")
    group.add_argument("--ray-address", metavar="ADDR", help="ray: auto, local or host:port")


def _executor_override(args: argparse.Namespace, spec_yaml: str) -> ExecutorOverride | None:
    """The executor asked for on the command line, checked against the recorded spec before
    anything changes (a ``--workers`` for a sweep that does not use a pool is refused)."""
    from motools.executors.base import ExecutorOverride

    override = ExecutorOverride(args.executor, args.workers, args.ray_address)
    if not override:
        return None
    override.check(spec_yaml)
    return override


def load_spec_arg(ref: str, trust: bool = False, *, early_pool: bool = False) -> tuple[Any, Path | None]:
    """A spec from a file path, or from the store by name; either is held to the trusted modules.
    With ``early_pool``, a spec that asks for the ``processes`` executor starts its pool before
    it is validated."""
    from motools.errors import MotoolsError
    from motools.spec_files import read_spec_file

    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        text, source, origin = read_spec_file(path), str(path), path
    else:
        from motools.store import open_store

        row = open_store().get_spec(ref)
        if row is None:
            raise MotoolsError(f"{ref!r} is neither a spec file nor a saved spec; see 'motools spec list'")
        text, source, origin = row["yaml"], f"saved spec {ref!r}", None
    if early_pool:  # before anything heavy is imported: the pool's head start is the point
        from motools.executors.early import start_for_spec

        start_for_spec(text)
    from motools.specs import load_spec_text

    return load_spec_text(text, source=source, trust=trust, origin=origin), origin


class _Reporter:
    """Prints one line per finished config and keeps a progress bar below them."""

    def __init__(self, store: Store, sweep: dict[str, Any], quiet: bool):
        self.store = store
        self.sweep_id = int(sweep["id"])
        self.total = int(sweep["n_runs"])
        self.quiet = quiet
        self.done = self.failed = self.cancelled = self.running = 0
        self.start = time.monotonic()
        self.bar = ProgressLine(self.total)
        self._started: set[int] = set()

    def __call__(self, event: RunEvent) -> None:
        plan = event.plan
        if event.kind == Status.RUNNING:
            self.running += 1
            self._started.add(plan.run_id)
        else:
            if plan.run_id in self._started:
                self._started.discard(plan.run_id)
                self.running -= 1
            if event.kind == Status.FINISHED:
                self.done += 1
            elif event.kind == Status.FAILED:
                self.failed += 1
            else:
                self.cancelled += 1
            if not self.quiet and event.kind in (Status.FINISHED, Status.FAILED):
                self._line(event)
        if not self.quiet:
            elapsed = time.monotonic() - self.start
            n = self.done + self.failed
            eta = elapsed / n * (self.total - n - self.cancelled) if n else None
            self.bar.draw(self.done, self.failed, self.running, eta)

    def _line(self, event: RunEvent) -> None:
        from motools.params import param_labels

        plan = event.plan
        names = param_labels(list(plan.params))
        params = "  ".join(f"{safe_text(names[k])}={format_value(v)}" for k, v in plan.params.items())
        params = params or "(base config)"
        n = self.done + self.failed
        counter = f"[{n:>{len(str(self.total))}}/{self.total}]"
        if event.kind == Status.FINISHED:
            line = f"{counter} ok     {params}  {self._metrics(plan.run_id)}"
        else:
            line = f"{counter} FAILED {params}  {safe_text(str(event.state.error if event.state else ''))}"
        self.bar.clear()
        print(line.rstrip(), flush=True)

    def _metrics(self, run_id: int) -> str:
        from motools.evals.metrics import primary_metrics

        found = self.store.read.run_metrics(self.sweep_id, run_ids=[run_id]).get(run_id, {})
        values: dict[str, float] = {}
        for per_task in found.values():
            values.update(per_task)
        return "  ".join(f"{safe_text(m)}={format_value(values[m])}" for m in primary_metrics(values))


def _run_in_foreground(start: Callable[[SweepControl], Awaitable[SweepOutcome]], quiet: bool) -> SweepOutcome:
    """Run a sweep; the first Ctrl-C (or SIGTERM) cancels it cleanly, a second aborts."""
    import asyncio  # here, not at the top: a process pool starts before this module's heavy imports

    from motools.workflow.events import SweepControl

    control = SweepControl()

    async def runner() -> SweepOutcome:
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            if control.cancel_requested:
                raise KeyboardInterrupt
            if not quiet:
                print(
                    "\ncancelling: unfinished runs will be recorded as cancelled (resume later)",
                    file=sys.stderr,
                    flush=True,
                )
            control.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, on_signal)
            except (NotImplementedError, RuntimeError):
                pass
        return await start(control)

    return asyncio.run(runner())


def _finish(store: Store, outcome: SweepOutcome, reporter: _Reporter, quiet: bool) -> int:
    reporter.bar.clear()
    if not quiet:
        print()
        _print_runs(store, outcome.name)
        print(
            f"\nsweep {outcome.name}: {outcome.status} "
            f"({reporter.done} finished, {reporter.failed} failed) in "
            f"{format_duration(time.monotonic() - reporter.start)}"
        )
        if outcome.status in (Status.CANCELLED, Status.FAILED):
            print(f"resume with: motools sweep resume {outcome.name}")
    if outcome.status == Status.FINISHED:
        return EXIT_OK
    return EXIT_CANCELLED if outcome.status == Status.CANCELLED else EXIT_FAILED


def cmd_run(args: argparse.Namespace) -> int:
    heap.pause()  # until the sweep starts: imports, validation, recording
    _check_parallel(args.max_parallel)
    spec, origin = load_spec_arg(args.spec, trust=args.trust, early_pool=not args.detach)
    from motools.analysis.export import check_outputs
    from motools.store import open_store
    from motools.workflow.launch import detach_sweep, execute_sweep, record_sweep

    check_outputs(spec.output, force=args.force)
    store = open_store()
    recorded = record_sweep(spec, name=args.name, store=store, max_parallel=args.max_parallel, origin=origin)
    name = recorded.sweep["name"]
    _check_rerun(store, name, args)
    if args.detach:
        detach_sweep(
            name, store=store, max_parallel=args.max_parallel, cache=_cache_policy(args), force_outputs=args.force
        )
        print(
            f"sweep {name} started in the background ({recorded.sweep['n_runs']} configs); "
            f"watch it with 'motools sweep show {name}'"
        )
        return EXIT_OK
    reporter = _Reporter(store, recorded.sweep, args.quiet)
    outcome = _run_in_foreground(
        lambda control: execute_sweep(
            name,
            store=store,
            max_parallel=args.max_parallel,
            observer=reporter,
            control=control,
            cache=_cache_policy(args),
        ),
        args.quiet,
    )
    code = _finish(store, outcome, reporter, args.quiet)
    if outcome.status == Status.FINISHED:
        _write_outputs(store, name, args.quiet, args.force)
    return code


def _write_outputs(store: Store, sweep_name: str, quiet: bool, force: bool) -> None:
    """The spec's ``output:`` section (results CSV, CI table, plot)."""
    from motools.analysis.export import write_outputs_of

    for path in write_outputs_of(sweep_name, store=store, force=force):
        if not quiet:
            print(f"wrote {path}")


def cmd_export(args: argparse.Namespace) -> int:
    from motools.analysis.export import export_chart, export_ci_csv, export_results_csv
    from motools.errors import MotoolsError
    from motools.store import open_store

    if not (args.csv or args.samples or args.ci or args.png):
        raise MotoolsError(
            "nothing to export: give --csv PATH, --samples PATH, --ci PATH --group COL..., or --png PATH --x COL"
        )
    if args.ci and not args.group:
        raise MotoolsError("--ci needs --group COL... (the parameters to group runs by)")
    if args.png and not args.x:
        raise MotoolsError("--png needs --x COL (the parameter for the x axis)")
    store = open_store()
    store.get_sweep(args.name)
    common = {"store": store, "force": args.force, "where": args.where}
    try:
        if args.csv:
            print(f"wrote {export_results_csv(args.name, args.csv, **common)}")
        if args.samples:
            print(f"wrote {export_results_csv(args.name, args.samples, samples=True, **common)}")
        if args.ci:
            path = export_ci_csv(
                args.name,
                args.ci,
                args.group,
                value_col=args.value,
                confidence=args.confidence,
                method=args.method,
                **common,
            )
            print(f"wrote {path}")
        if args.png:
            path = export_chart(
                args.name, args.png, args.x, args.y, heatmap_y=args.heatmap, series_col=args.series, **common
            )
            print(f"wrote {path}")
    except ValueError as exc:  # a column or metric that does not exist
        raise MotoolsError(str(exc)) from None
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from motools.analysis.compare import compare_sweeps
    from motools.errors import MotoolsError
    from motools.store import open_store

    store = open_store()
    for name in (args.name, args.baseline):
        if name:
            store.get_sweep(name)
    try:
        table = compare_sweeps(
            args.name, args.baseline, args.metric, group=args.group, store=store, confidence=args.confidence
        )
    except ValueError as exc:
        raise MotoolsError(str(exc)) from None
    if table.empty:
        print("nothing to compare: the sweeps share no scored samples")
        return EXIT_OK
    shown = [c for c in table.columns if c not in ("confidence", "baseline_n_runs")]
    print(format_table(shown, table[shown].itertuples(index=False)))
    level = round(args.confidence * 100)
    print(
        f"\ndiff = config - baseline, paired on (task, sample, epoch); [lower, upper] is a {level}% interval; "
        "p_holm is Holm-adjusted over the rows above"
    )
    return EXIT_OK


def cmd_resume(args: argparse.Namespace) -> int:
    heap.pause()  # until the sweep starts: imports, validation
    from motools.executors.early import start_for_spec
    from motools.store import open_store
    from motools.store.sweeps import prepare_to_run
    from motools.workflow.launch import detach_sweep, execute_sweep

    _check_parallel(args.max_parallel)
    store = open_store()
    spec_yaml = store.get_sweep(args.name)["spec_yaml"]
    override = _executor_override(args, spec_yaml)
    if not args.detach:
        start_for_spec(spec_yaml, override.executor if override else None)
    _check_rerun(store, args.name, args)
    sweep = prepare_to_run(store, args.name, max_parallel=args.max_parallel)
    if args.detach:
        detach_sweep(
            args.name, store=store, max_parallel=args.max_parallel, cache=_cache_policy(args), executor=override
        )
        print(f"sweep {args.name} resumed in the background; watch it with 'motools sweep show {args.name}'")
        return EXIT_OK
    reporter = _Reporter(store, sweep, args.quiet)
    outcome = _run_in_foreground(
        lambda control: execute_sweep(
            args.name,
            store=store,
            max_parallel=args.max_parallel,
            observer=reporter,
            control=control,
            cache=_cache_policy(args),
            executor=override,
        ),
        args.quiet,
    )
    return _finish(store, outcome, reporter, args.quiet)


def cmd_retry(args: argparse.Namespace) -> int:
    from motools.store import open_store
    from motools.workflow.launch import retry_count

    store = open_store()
    todo = retry_count(store, args.name)
    _executor_override(args, store.get_sweep(args.name)["spec_yaml"])  # a bad choice is refused first
    if not todo:
        print(f"sweep {args.name} has no failed or cancelled runs to retry")
        return EXIT_OK
    if not args.quiet:
        print(f"retrying {todo} run(s) of sweep {args.name}; finished runs are kept")
    return cmd_resume(args)


def cmd_cancel(args: argparse.Namespace) -> int:
    from motools.errors import SweepNotRunning
    from motools.store import open_store

    store = open_store()
    sweep = store.get_sweep(args.name)
    if sweep["status"] in TERMINAL:
        print(f"sweep {args.name} is not running (status: {sweep['status']})")
        return EXIT_OK
    try:
        asked = store.cancel_sweep(args.name)
    except SweepNotRunning as exc:  # it ended while we looked
        print(exc)
        return EXIT_OK
    if not asked:
        print(
            f"sweep {args.name} had no live worker; marked cancelled (resume with 'motools sweep resume {args.name}')"
        )
        return EXIT_OK
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.2)
        status = store.get_sweep(args.name)["status"]
        if status != Status.RUNNING:
            print(f"sweep {args.name} cancelled (status: {status})")
            return EXIT_OK
    print(f"cancel requested; worker {sweep['worker_pid']} has not stopped yet")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from motools.liveness import shown_status
    from motools.store import open_store

    rows = []
    for s in open_store().read.sweeps():
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(s["created_at"]))
        status = shown_status(s).value
        if s["status"] == Status.FAILED and s.get("message"):
            status = f"failed: {s['message']}"
        rows.append(
            (
                safe_text(s["name"]),
                safe_text(s["spec_name"] or "-"),
                status,
                f"{s['n_finished']}/{s['n_runs']}",
                s["n_failed"],
                created,
            )
        )
    if not rows:
        print("no sweeps yet; start one with 'motools sweep run SPEC'")
        return 0
    print(format_table(["name", "spec", "status", Status.FINISHED, Status.FAILED, "created"], rows))
    return 0


def _print_runs(store: Store, name: str) -> None:
    from motools.evals.metrics import primary_metrics
    from motools.params import param_labels

    read = store.read
    sweep = store.get_sweep(name)
    runs = read.run_rows(sweep["id"])
    if not runs:
        return
    params0 = list(json.loads(runs[0]["params"]))
    names = param_labels(params0)
    per_run = read.run_metrics(sweep["id"])
    tasks = sorted({t for d in per_run.values() for t in d})
    metrics: dict[int, dict[str, float]] = {}
    for run_id, by_task in per_run.items():
        for task, values in by_task.items():
            for m, v in values.items():
                metrics.setdefault(run_id, {})[m if len(tasks) <= 1 else f"{task}:{m}"] = v
    metric_names = primary_metrics(sorted({m for d in metrics.values() for m in d}))
    headers = ["#", *[names[p] for p in params0], "status", *metric_names, "error"]
    rows = []
    for run in runs:
        params = json.loads(run["params"])
        m = metrics.get(run["id"], {})
        status = run["status"] + (f" ({run['current_step']})" if run["status"] == Status.RUNNING else "")
        error = safe_text(run["error"].splitlines()[0]) if run["error"] else ""
        rows.append([run["idx"], *[params.get(p) for p in params0], status, *[m.get(k) for k in metric_names], error])
    print(format_table(headers, rows))


def _print_placements(placements: list[dict[str, Any]]) -> None:
    """Where each step ran: host (and Ray node), executions and processes (issue 14)."""
    by_step: dict[str, list[str]] = {}
    for p in placements:
        where = safe_text(p["host"]) + (f" node {safe_text(p['node'][:8])}" if p["node"] else "")
        procs = p["processes"]
        by_step.setdefault(p["name"], []).append(f"{where}: {p['n']} in {procs} process{'es' if procs != 1 else ''}")
    if not by_step:
        return
    print("ran on:")
    width = max(len(name) for name in by_step)
    for name, places in by_step.items():
        print(f"  {name:<{width}}  " + "; ".join(places))


def cmd_show(args: argparse.Namespace) -> int:
    from motools.liveness import shown_status, worker_liveness
    from motools.store import open_store

    store = open_store()
    read = store.read
    sweep = store.get_sweep(args.name)
    shown = shown_status(sweep)
    status = shown.value
    if shown == Status.INTERRUPTED and sweep["status"] == Status.PENDING:
        from motools.workflow.launch import worker_log

        status = (
            f"interrupted (its worker, process {sweep['worker_pid']}, exited before it started; see "
            f"{worker_log(store, sweep['name'])}; resume with 'motools sweep resume {args.name}')"
        )
    elif shown == Status.INTERRUPTED:
        status = f"interrupted (worker gone; resume with 'motools sweep resume {args.name}')"
    elif shown == Status.STALLED:
        age = worker_liveness(sweep).heartbeat_age or 0
        status = (
            f"stalled (worker {sweep['worker_pid']} is alive but has not written for {format_duration(age)}: "
            "stopped or blocked; it is not resumed elsewhere)"
        )
    elif sweep["status"] == Status.FAILED and sweep.get("message"):
        status = f"failed: {safe_text(sweep['message'])}"
    counts = read.status_counts(sweep["id"])
    print(f"sweep:    {safe_text(sweep['name'])}")
    print(
        f"spec:     {safe_text(sweep['spec_name'] or '-')}   workflow: {safe_text(sweep['workflow'] or '-')}   "
        f"user: {safe_text(sweep['user'] or '-')}"
    )
    print(f"status:   {status}")
    print("runs:     " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f" (of {sweep['n_runs']})")
    if sweep["started_at"]:
        end = sweep["finished_at"] or time.time()
        print(f"elapsed:  {format_duration(end - sweep['started_at'])}")
    cached = read.cached_step_counts(sweep["id"])
    if cached:
        print(
            "steps:    "
            + ", ".join(
                f"{safe_text(step)} {n}" + (f" ({c} from cache)" if c else "") for step, (n, c) in cached.items()
            )
        )
    _print_placements(read.step_placements(sweep["id"]))
    warnings = read.sweep_warnings(sweep["id"])
    if warnings:
        print("warnings:")
        for message in warnings:
            print(f"  {safe_text(message)}")
    print()
    _print_runs(store, args.name)
    atoms = read.atom_summaries(a["atom_id"] for a in read.result_atoms(sweep["id"]))
    paths = []
    for a in read.result_atoms(sweep["id"]):
        data = atoms.get(a["atom_id"], {}).get("data")
        log_path = json.loads(data).get("log_path") if data else None
        if log_path:
            paths.append((a["idx"], log_path))
    if paths:
        print("\nInspect logs (open with 'inspect view'):")
        for i, p in paths:
            print(f"  #{i}: {safe_text(p)}")
    failed = read.failed_steps(sweep["id"])
    if failed:
        print("\nfailed steps:")
        for f in failed:
            print(f"  #{f['idx']} {safe_text(str(f['name']))}: {safe_text(str(f['error']))}")
    return 0

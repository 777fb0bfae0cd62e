"""``motools sweep run | list | show | resume | cancel``."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from motools.cli.output import ProgressLine, fmt_value, format_duration, format_table

EXIT_OK, EXIT_FAILED, EXIT_CANCELLED = 0, 1, 130


def register(sub: Any) -> None:
    p = sub.add_parser("sweep", help="run and inspect sweeps")
    s = p.add_subparsers(dest="cmd", metavar="{run,list,show,resume,retry,cancel,export}", required=True)
    run = s.add_parser("run", help="run a saved spec (by name) or a spec file")
    run.add_argument("spec", metavar="SPEC_NAME_OR_FILE")
    run.add_argument("--max-parallel", type=int, help="override the spec's execution.max_parallel")
    run.add_argument("--name", help="name the sweep (default: <spec>-<time>-<random>)")
    run.add_argument("--detach", action="store_true", help="run in a background worker and return at once")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.add_argument("--force", action="store_true", help="let the spec's output files overwrite old ones")
    run.add_argument("--trust", action="store_true", help="trust the modules whose callables a spec file names")
    run.set_defaults(func=cmd_run)
    ls = s.add_parser("list", help="list sweeps, newest first")
    ls.set_defaults(func=cmd_list)
    show = s.add_parser("show", help="a sweep's runs, status, metrics and errors")
    show.add_argument("name")
    show.set_defaults(func=cmd_show)
    resume = s.add_parser("resume", help="finish an interrupted, cancelled or failed sweep")
    resume.add_argument("name")
    resume.add_argument("--max-parallel", type=int)
    resume.add_argument("--quiet", action="store_true")
    resume.set_defaults(func=cmd_resume)
    retry = s.add_parser("retry", help="re-run only the failed (and cancelled) runs of a sweep")
    retry.add_argument("name")
    retry.add_argument("--max-parallel", type=int)
    retry.add_argument("--quiet", action="store_true")
    retry.set_defaults(func=cmd_retry)
    cancel = s.add_parser("cancel", help="stop a running sweep (from any terminal)")
    cancel.add_argument("name")
    cancel.set_defaults(func=cmd_cancel)
    export = s.add_parser("export", help="write results (CSV), CI tables (CSV) and charts (PNG)")
    export.add_argument("name")
    export.add_argument("--csv", metavar="PATH", help="the results table, one row per run and task")
    export.add_argument("--samples", action="store_true", help="with --csv: one row per scored sample")
    export.add_argument("--ci", metavar="PATH", help="a confidence-interval table (needs --group)")
    export.add_argument("--group", nargs="+", metavar="COL", default=[], help="columns to group the CI table by")
    export.add_argument("--value", default="accuracy", help="the metric for --ci (default: accuracy)")
    export.add_argument("--confidence", type=float, default=0.95)
    export.add_argument("--method", choices=["auto", "t", "wilson", "bootstrap"], default="auto")
    export.add_argument("--png", metavar="PATH", help="a chart (PNG, or SVG/PDF by extension; needs --x)")
    export.add_argument("--x", help="the parameter on the chart's x axis")
    export.add_argument("--y", default="accuracy", help="the metric on the chart (default: accuracy)")
    export.add_argument("--heatmap", metavar="COL", help="draw a heatmap over --x and this parameter")
    export.add_argument("--force", action="store_true", help="overwrite existing files")
    export.set_defaults(func=cmd_export)


def _check_parallel(n: int | None) -> None:
    from motools.errors import MotoolsError

    if n is not None and n < 1:
        raise MotoolsError(f"--max-parallel must be at least 1, got {n}")


def load_spec_arg(ref: str, trust: bool = False) -> Any:
    """A spec from a file path, or from the store by name (saved specs were trusted when added)."""
    from motools.errors import MotoolsError
    from motools.specs import load_spec, parse_spec_text
    from motools.store import open_store

    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return load_spec(path, trust=trust)
    row = open_store().get_spec(ref)
    if row is None:
        raise MotoolsError(f"{ref!r} is neither a spec file nor a saved spec; see 'motools spec list'")
    return parse_spec_text(row["yaml"], source=f"saved spec {ref!r}")


class _Reporter:
    """Prints one line per finished config and keeps a progress bar below them."""

    def __init__(self, total: int, quiet: bool):
        self.total = total
        self.quiet = quiet
        self.done = self.failed = self.running = 0
        self.start = time.monotonic()
        self.bar = ProgressLine(total)
        self.store: Any = None
        self._started: set[int] = set()

    def __call__(self, what: str, plan: Any, state: Any) -> None:
        if what == "started":
            self.running += 1
            self._started.add(plan.run_id)
        else:
            if plan.run_id in self._started:
                self._started.discard(plan.run_id)
                self.running -= 1
            if what == "finished":
                self.done += 1
            elif what == "failed":
                self.failed += 1
            if not self.quiet and what in ("finished", "failed"):
                self._line(what, plan, state)
        if not self.quiet:
            elapsed = time.monotonic() - self.start
            n = self.done + self.failed
            eta = elapsed / n * (self.total - n) if n else None
            self.bar.draw(self.done, self.failed, self.running, eta)

    def _line(self, what: str, plan: Any, state: Any) -> None:
        from motools.workflow.grid import short_names

        names = short_names(list(plan.params))
        params = "  ".join(f"{names[k]}={fmt_value(v)}" for k, v in plan.params.items()) or "(base config)"
        n = self.done + self.failed
        if what == "finished":
            extra = _metrics_text(self.store, state)
            line = f"[{n:>{len(str(self.total))}}/{self.total}] ok     {params}  {extra}"
        else:
            line = f"[{n:>{len(str(self.total))}}/{self.total}] FAILED {params}  {state.error}"
        self.bar.clear()
        print(line, flush=True)


def _metrics_text(store: Any, state: Any) -> str:
    if store is None:
        return ""
    rows = _eval_metrics(store, state.step_states)
    return "  ".join(f"{m}={fmt_value(v)}" for m, v in rows.items() if not m.endswith("stderr"))


def _eval_metrics(store: Any, step_states: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for st in step_states.values():
        for atom_id in (st.output_atoms or {}).values():
            if atom_id.startswith("eval_results-"):
                for r in store.metrics_for(atom_id):
                    out[r["metric"]] = r["value"]
    return out


def _run_async(make_coro: Any, quiet: bool) -> Any:
    """Run a sweep coroutine; the first Ctrl-C (or SIGTERM) cancels it cleanly, a second aborts."""
    holder: dict[str, Any] = {}

    def hook(execution: Any) -> None:
        holder["execution"] = execution

    async def runner() -> Any:
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            ex = holder.get("execution")
            if ex is None or ex.cancelled:
                raise KeyboardInterrupt
            if not quiet:
                print("\ncancelling: unfinished runs will be recorded as cancelled (resume later)",
                      file=sys.stderr, flush=True)
            ex.cancel()
            loop.remove_signal_handler(signal.SIGINT)

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, on_signal)
            except (NotImplementedError, RuntimeError):
                pass
        return await make_coro(hook)

    result = asyncio.run(runner())
    return result, holder.get("execution")


def _finish(execution: Any, reporter: _Reporter, quiet: bool) -> int:
    reporter.bar.clear()
    if execution is None:
        return EXIT_FAILED
    sweep = execution.sweep
    if not quiet:
        print()
        _print_runs(execution.store, sweep["name"])
        print(f"\nsweep {sweep['name']}: {sweep['status']} "
              f"({reporter.done} finished, {reporter.failed} failed) in "
              f"{format_duration(time.monotonic() - reporter.start)}")
        if sweep["status"] in ("cancelled", "failed"):
            print(f"resume with: motools sweep resume {sweep['name']}")
    if sweep["status"] == "finished":
        return EXIT_OK
    return EXIT_CANCELLED if sweep["status"] == "cancelled" else EXIT_FAILED


def cmd_run(args: argparse.Namespace) -> int:
    from motools.store import open_store
    from motools.workflow.sweep import launch_detached, run_spec

    _check_parallel(args.max_parallel)
    spec = load_spec_arg(args.spec, trust=args.trust)
    store = open_store()
    if args.detach:
        sweep = launch_detached(spec, name=args.name, max_parallel=args.max_parallel, store=store)
        print(f"sweep {sweep['name']} started in the background ({sweep['n_runs']} configs); "
              f"watch it with 'motools sweep show {sweep['name']}'")
        return EXIT_OK
    reporter = _Reporter(spec.grid_size, args.quiet)
    reporter.store = store
    _, execution = _run_async(
        lambda hook: run_spec(spec, name=args.name, max_parallel=args.max_parallel, store=store,
                              on_run=reporter, execution_hook=hook),
        args.quiet,
    )
    code = _finish(execution, reporter, args.quiet)
    if execution is not None and execution.sweep["status"] == "finished":
        _write_outputs(spec, execution.sweep["name"], store, args.quiet, args.force)
    return code


def _write_outputs(spec: Any, sweep_name: str, store: Any, quiet: bool, force: bool) -> None:
    """The spec's ``output:`` section (results CSV, CI table, plot)."""
    from motools.analysis.export import write_spec_outputs

    out = spec.output
    if not (out.results_path or out.confidence_intervals or out.plot):
        return
    for path in write_spec_outputs(sweep_name, out, store=store, force=force):
        if not quiet:
            print(f"wrote {path}")


def cmd_export(args: argparse.Namespace) -> int:
    from motools.analysis.export import export_chart, export_ci_csv, export_results_csv
    from motools.errors import MotoolsError
    from motools.store import open_store

    if not (args.csv or args.ci or args.png):
        raise MotoolsError("nothing to export: give --csv PATH, --ci PATH --group COL..., or --png PATH --x COL")
    if args.ci and not args.group:
        raise MotoolsError("--ci needs --group COL... (the parameters to group runs by)")
    if args.png and not args.x:
        raise MotoolsError("--png needs --x COL (the parameter for the x axis)")
    store = open_store()
    store.get_sweep(args.name)
    try:
        if args.csv:
            print(f"wrote {export_results_csv(args.name, args.csv, store=store, force=args.force, samples=args.samples)}")
        if args.ci:
            print(f"wrote {export_ci_csv(args.name, args.ci, args.group, value_col=args.value, confidence=args.confidence, method=args.method, store=store, force=args.force)}")
        if args.png:
            print(f"wrote {export_chart(args.name, args.png, args.x, args.y, heatmap_y=args.heatmap, store=store, force=args.force)}")
    except ValueError as exc:  # a column or metric that does not exist
        raise MotoolsError(str(exc)) from None
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from motools.store import open_store
    from motools.workflow.sweep import resume_sweep

    _check_parallel(args.max_parallel)
    store = open_store()
    sweep = store.get_sweep(args.name)
    reporter = _Reporter(sweep["n_runs"], args.quiet)
    reporter.store = store
    _, execution = _run_async(
        lambda hook: resume_sweep(args.name, store=store, max_parallel=args.max_parallel, on_run=reporter,
                                  execution_hook=hook),
        args.quiet,
    )
    return _finish(execution, reporter, args.quiet)


def cmd_retry(args: argparse.Namespace) -> int:
    from motools.store import open_store

    sweep = open_store().get_sweep(args.name)
    counts = {r["status"]: r["n"] for r in open_store().query(
        "SELECT status, COUNT(*) AS n FROM runs WHERE sweep_id=? GROUP BY status", (sweep["id"],))}
    todo = counts.get("failed", 0) + counts.get("cancelled", 0)
    if not todo:
        print(f"sweep {args.name} has no failed or cancelled runs to retry")
        return EXIT_OK
    if not args.quiet:
        print(f"retrying {todo} run(s) of sweep {args.name}; finished runs are kept")
    return cmd_resume(args)


def cmd_cancel(args: argparse.Namespace) -> int:
    from motools.store import open_store

    store = open_store()
    sweep = store.get_sweep(args.name)
    if sweep["status"] in ("finished", "failed", "cancelled"):
        print(f"sweep {args.name} is not running (status: {sweep['status']})")
        return EXIT_OK
    if not store.cancel_sweep(args.name):
        print(f"sweep {args.name} had no live worker; marked cancelled (resume with 'motools sweep resume {args.name}')")
        return EXIT_OK
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(0.2)
        status = store.get_sweep(args.name)["status"]
        if status != "running":
            print(f"sweep {args.name} cancelled (status: {status})")
            return EXIT_OK
    print(f"cancel requested; worker {sweep['worker_pid']} has not stopped yet")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from motools.store import open_store
    from motools.liveness import worker_alive

    rows = []
    for s in open_store().list_sweeps():
        status = s["status"]
        if status == "running" and not worker_alive(s):
            status = "interrupted"
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(s["created_at"]))
        rows.append((s["name"], s["spec_name"] or "-", status, f"{s['n_finished']}/{s['n_runs']}",
                     s["n_failed"], created))
    if not rows:
        print("no sweeps yet; start one with 'motools sweep run SPEC'")
        return 0
    print(format_table(["name", "spec", "status", "finished", "failed", "created"], rows))
    return 0


def _print_runs(store: Any, name: str) -> None:
    from motools.workflow.grid import short_names

    sweep = store.get_sweep(name)
    runs = store.runs(sweep["id"])
    if not runs:
        return
    params0 = list(json.loads(runs[0]["params"]))
    names = short_names(params0)
    metric_rows = store.query(
        "SELECT s.run_id, m.metric, m.value FROM steps s JOIN metrics m "
        "ON m.atom_id = json_extract(s.outputs, '$.eval_results') "
        "WHERE s.run_id IN (SELECT id FROM runs WHERE sweep_id = ?)",
        (sweep["id"],),
    )
    metrics: dict[int, dict[str, float]] = {}
    for r in metric_rows:
        metrics.setdefault(r["run_id"], {})[r["metric"]] = r["value"]
    metric_names = sorted({m for d in metrics.values() for m in d})
    headers = ["#", *[names[p] for p in params0], "status", *metric_names, "error"]
    rows = []
    for run in runs:
        params = json.loads(run["params"])
        m = metrics.get(run["id"], {})
        status = run["status"] + (f" ({run['current_step']})" if run["status"] == "running" else "")
        rows.append([run["idx"], *[params.get(p) for p in params0], status, *[m.get(k) for k in metric_names],
                     (run["error"] or "").splitlines()[0] if run["error"] else ""])
    print(format_table(headers, rows))


def cmd_show(args: argparse.Namespace) -> int:
    from motools.store import open_store
    from motools.liveness import worker_alive

    store = open_store()
    sweep = store.get_sweep(args.name)
    status = sweep["status"]
    if status == "running" and not worker_alive(sweep):
        status = "interrupted (worker gone; resume with 'motools sweep resume NAME')".replace("NAME", args.name)
    counts = {r["status"]: r["n"] for r in store.query(
        "SELECT status, COUNT(*) AS n FROM runs WHERE sweep_id=? GROUP BY status", (sweep["id"],))}
    print(f"sweep:    {sweep['name']}")
    print(f"spec:     {sweep['spec_name'] or '-'}   workflow: {sweep['workflow']}   user: {sweep['user'] or '-'}")
    print(f"status:   {status}")
    print("runs:     " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f" (of {sweep['n_runs']})")
    if sweep["started_at"]:
        end = sweep["finished_at"] or time.time()
        print(f"elapsed:  {format_duration(end - sweep['started_at'])}")
    print()
    _print_runs(store, args.name)
    logs = store.query(
        "SELECT r.idx, a.data FROM runs r JOIN steps s ON s.run_id = r.id JOIN atoms a "
        "ON a.id = json_extract(s.outputs, '$.eval_results') WHERE r.sweep_id = ? ORDER BY r.idx",
        (sweep["id"],),
    )
    paths = [(r["idx"], json.loads(r["data"]).get("log_path")) for r in logs if r["data"]]
    paths = [(i, p) for i, p in paths if p]
    if paths:
        print("\nInspect logs (open with 'inspect view'):")
        for i, p in paths:
            print(f"  #{i}: {p}")
    failed = store.query(
        "SELECT r.idx, s.name, s.error FROM runs r JOIN steps s ON s.run_id = r.id "
        "WHERE r.sweep_id = ? AND s.status = 'failed' ORDER BY r.idx LIMIT 20", (sweep["id"],))
    if failed:
        print("\nfailed steps:")
        for f in failed:
            print(f"  #{f['idx']} {f['name']}: {f['error']}")
    return 0

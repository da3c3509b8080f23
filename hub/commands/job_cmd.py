"""`hub check ipo|bankruptcy --file list.csv|list.xlsx --out results.xlsx` and `hub job
status|wait|download|cancel ID`: batch check jobs from the terminal.

`hub check … --file` uploads the list (`POST /jobs`), then follows the job with a live progress
bar — the whole list and each department's part, and the time left — and, when it is done,
writes the results (`.xlsx` or `.csv`, by the name given to `--out`). Ctrl-C stops following,
never the job: it goes on in the hub, and `hub job wait ID` picks it up again. Texts are Chinese
by default, whatever `LANG` says (`--lang en` for English).

Exit status of a finished job: its worst verdict, as for a single check — 10 if any enterprise
has FINDINGS, else 11 if any is INCOMPLETE, else 12 if any is SUBJECT_UNKNOWN, else 0; 1 a
cancelled or failed job, or a refusal by the hub; 2 bad input or no hub to ask; 130 Ctrl-C
(the job goes on).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from hub.commands.check_cmd import EXIT_CODES, KINDS

__all__ = ["CANCEL_QUERY", "JOB_QUERY", "WORST_FIRST", "add_hub_options", "register", "run_file",
           "run_job", "worst_exit"]

JOB_QUERY = """query Job($id: ID!) { checkJob(id: $id) { id status total done etaSeconds detail
  verdicts { verdict count } sources { source department answered failed } } }"""
CANCEL_QUERY = """mutation Cancel($id: ID!) { cancelCheckJob(id: $id) { id status total done
  etaSeconds detail verdicts { verdict count } sources { source department answered failed } } }"""
WORST_FIRST = ("FINDINGS", "INCOMPLETE", "SUBJECT_UNKNOWN", "CLEAN")
_ACTIVE = ("QUEUED", "RUNNING")
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TEXT = {
    "zh": {"submitted": "已提交核查任务 {id}：{total} 家企业", "skipped": "跳过 {n} 行无效代码",
           "duplicates": "去除 {n} 个重复代码", "all": "全部企业", "left": "剩余",
           "detached": "已停止跟踪；任务 {id} 仍在中枢运行。继续跟踪：hub job wait {id}",
           "written": "结果已写入 {path}", "status": "任务 {id}：{status}，{done}/{total}",
           "verdicts": "核查结论", "CLEAN": "未发现问题", "FINDINGS": "发现问题",
           "INCOMPLETE": "核查不完整", "SUBJECT_UNKNOWN": "登记机关无此企业",
           "bad": "第 {line} 行 {text!r}：{reason}",
           "QUEUED": "排队中", "RUNNING": "进行中", "DONE": "已完成", "CANCELLED": "已取消",
           "FAILED": "失败"},
    "en": {"submitted": "submitted check job {id}: {total} enterprises",
           "skipped": "skipped {n} invalid lines", "duplicates": "dropped {n} duplicate codes",
           "all": "all enterprises", "left": "left",
           "detached": "stopped following; job {id} goes on in the hub. Follow it again: "
                       "hub job wait {id}",
           "written": "results written to {path}",
           "status": "job {id}: {status}, {done}/{total} done", "verdicts": "verdicts",
           "CLEAN": "clean", "FINDINGS": "findings", "INCOMPLETE": "incomplete",
           "SUBJECT_UNKNOWN": "unknown to the registry",
           "bad": "line {line} {text!r}: {reason}"},
}


def register(sub: Any) -> None:
    job = sub.add_parser("job", help="follow, download or cancel a batch check job",
                         description="Batch check jobs submitted with hub check KIND --file.")
    verbs = job.add_subparsers(dest="verb", required=True, metavar="VERB")
    for verb, text in (("status", "print the job's progress once"),
                       ("wait", "follow the job with a progress bar until it ends"),
                       ("download", "write the job's results (.xlsx or .csv, by --out)"),
                       ("cancel", "cancel the job (chunks in flight finish)")):
        p = verbs.add_parser(verb, help=text)
        p.add_argument("id", help="the job id (hub check … --file printed it)")
        if verb in ("wait", "download"):
            p.add_argument("--out", type=Path, required=verb == "download",
                           help="results file to write when done (.xlsx or .csv)")
        p.add_argument("--lang", choices=("zh", "en"), default=None,
                       help="language of the texts (default zh)")
        add_hub_options(p)
        p.set_defaults(run=run_job)


def add_hub_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="the hub's GraphQL URL (else HUB_URL, else the demo)")
    p.add_argument("--api-key", help="the caller's API key (else HUB_API_KEY, else the demo)")
    p.add_argument("--home", type=Path, default=Path(".hub"),
                   help="the running demo's home, where demo.json is (default .hub)")
    p.add_argument("--as", dest="caller", default="xzsp", help="demo caller (default xzsp)")


def worst_exit(verdicts: list[dict[str, Any]]) -> int:
    present = {v["verdict"] for v in verdicts if v["count"]}
    worst = next((v for v in WORST_FIRST if v in present), "CLEAN")
    return EXIT_CODES[worst]


def _say(lang: str, key: str, **values: Any) -> str:
    return _TEXT[lang][key].format(**values)


def _errors(answer: dict[str, Any], prog: str) -> int:
    codes = []
    for error in answer.get("errors", []):
        code = error.get("extensions", {}).get("code", "?")
        codes.append(code)
        print(f"{prog}: {code}: {error.get('message')}", file=sys.stderr)
    return 2 if codes and set(codes) <= {"BAD_USER_INPUT"} else 1


def _status(client: Any, job_id: str) -> tuple[dict[str, Any] | None, int]:
    answer = client.query(JOB_QUERY, {"id": job_id}, {})
    job = (answer.get("data") or {}).get("checkJob")
    return (job, 0) if job is not None else (None, _errors(answer, "hub job"))


def _follow(client: Any, job: dict[str, Any], lang: str, poll_s: float = 0.5
            ) -> dict[str, Any]:
    """Show the job's progress until it ends; KeyboardInterrupt leaves the job running."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    eta = TextColumn("{task.fields[eta]}")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), eta,
                  console=console, transient=False) as progress:
        overall = progress.add_task(_say(lang, "all"), total=job["total"], eta="")
        parts = {s["source"]: progress.add_task(f"  {s['department']} ({s['source']})",
                                                total=job["total"], eta="")
                 for s in job["sources"]}
        while True:
            left = job.get("etaSeconds")
            progress.update(overall, completed=job["done"],
                            eta="" if left is None else f"{_say(lang, 'left')} {left:.0f} s")
            for s in job["sources"]:
                if s["source"] in parts:
                    progress.update(parts[s["source"]], completed=s["answered"] + s["failed"])
            if job["status"] not in _ACTIVE:
                return job
            time.sleep(poll_s)
            fresh, code = _status(client, job["id"])
            if fresh is None:
                raise SystemExit(code)
            job = fresh


def _summary(job: dict[str, Any], lang: str) -> str:
    comma, semicolon, colon = ("，", "；", "：") if lang == "zh" else (", ", "; ", ": ")
    counts = comma.join(f"{_say(lang, v['verdict'])} {v['count']}" for v in job["verdicts"]
                        if v["verdict"] in _TEXT[lang])
    status = _TEXT[lang].get(job["status"], job["status"]) if lang == "zh" else job["status"]
    head = _say(lang, "status", id=job["id"], status=status, done=job["done"],
                total=job["total"])
    return f"{head}{semicolon}{_say(lang, 'verdicts')}{colon}{counts}" if counts else head


def _download(client: Any, job_id: str, out: Path, lang: str) -> int:
    name = "results.csv" if out.suffix.lower() == ".csv" else "results.xlsx"
    status, body = client.http("GET", f"/jobs/{job_id}/{name}?lang={lang}")
    if status != 200:
        import orjson

        try:
            return _errors(orjson.loads(body), "hub job")
        except orjson.JSONDecodeError:
            print(f"hub job: the hub answered HTTP {status}", file=sys.stderr)
            return 1
    out.write_bytes(body)
    print(_say(lang, "written", path=out))
    return 0


def _ended(client: Any, job: dict[str, Any], out: Path | None, lang: str) -> int:
    print(_summary(job, lang))
    if job["status"] in ("CANCELLED", "FAILED"):
        if job.get("detail"):
            print(job["detail"], file=sys.stderr)
        code = 1
    else:
        code = worst_exit(job["verdicts"])
    if out is not None:
        written = _download(client, job["id"], out, lang)
        if written:
            return written
    return code


def run_job(args: argparse.Namespace) -> int:
    from hub.client import ClientError, busy_notice, find_hub

    lang = args.lang or "zh"  # Chinese unless --lang en, whatever LANG says
    try:
        client = find_hub(args.url, args.api_key, args.home, args.caller,
                          busy_notice("hub job", lang))
        if args.verb == "cancel":
            answer = client.query(CANCEL_QUERY, {"id": args.id}, {})
            job = (answer.get("data") or {}).get("cancelCheckJob")
            if job is None:
                return _errors(answer, "hub job")
            print(_summary(job, lang))
            return 0
        job, code = _status(client, args.id)
        if job is None:
            return code
        if args.verb == "status":
            print(_summary(job, lang))
            return 0 if job["status"] in _ACTIVE else _ended(client, job, None, lang)
        if args.verb == "download":
            return _download(client, args.id, args.out, lang)
        try:
            job = _follow(client, job, lang)
        except KeyboardInterrupt:
            print(_say(lang, "detached", id=args.id), file=sys.stderr)
            return 130
        return _ended(client, job, args.out, lang)
    except ClientError as exc:
        print(f"hub job: {exc}", file=sys.stderr)
        return 2


def run_file(args: argparse.Namespace) -> int:
    """`hub check KIND --file LIST`: submit, follow, download."""
    import orjson

    from hub.client import ClientError, busy_notice, find_hub

    lang = args.lang or "zh"  # Chinese unless --lang en, whatever LANG says
    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        print(f"hub check: {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    query = [f"kind={KINDS[args.kind]}", f"filename={_quote(path.name)}"]
    if args.skip_invalid:
        query.append("skipInvalid=true")
    for name, value in (("since", args.since), ("until", args.until)):
        if value is not None:
            query.append(f"{name}={value.isoformat()}")
    if args.case:
        query.append(f"caseNo={_quote(args.case)}")
    xlsx = path.suffix.lower() == ".xlsx"
    try:
        client = find_hub(args.url, args.api_key, args.home, args.caller,
                          busy_notice("hub check", lang))
        status, body = client.http("POST", "/jobs?" + "&".join(query), data, {
            "Content-Type": _XLSX if xlsx else "text/csv",
            "X-Hub-Purpose": KINDS[args.kind]})
        try:
            answer = orjson.loads(body)
        except orjson.JSONDecodeError:
            print(f"hub check: the hub answered HTTP {status} without JSON", file=sys.stderr)
            return 1
        if status != 202:
            for error in answer.get("errors", []):
                for bad in error.get("extensions", {}).get("badLines", []):
                    print("  " + _say(lang, "bad", **bad), file=sys.stderr)
            return _errors(answer, "hub check")
        job_id = answer["jobId"]
        print(_say(lang, "submitted", id=job_id, total=answer["total"]))
        if answer.get("skipped"):
            print(_say(lang, "skipped", n=len(answer["skipped"])))
            for bad in answer["skipped"]:
                print("  " + _say(lang, "bad", **bad))
        if answer.get("duplicates"):
            print(_say(lang, "duplicates", n=answer["duplicates"]))
        job, code = _status(client, job_id)
        if job is None:
            return code
        try:
            job = _follow(client, job, lang)
        except KeyboardInterrupt:
            print(_say(lang, "detached", id=job_id), file=sys.stderr)
            return 130
        return _ended(client, job, args.out, lang)
    except ClientError as exc:
        print(f"hub check: {exc}", file=sys.stderr)
        return 2


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")

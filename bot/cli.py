"""The `yizhan` command line: chat, ask, classify, kb check, kb eval."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.console import ScriptError, Speaker
from bot.kb.loader import KnowledgeError
from bot.log_redaction import install_redaction, secrets_in

CONSOLE_USER = "console"
SWITCH_INTERVAL = 0.0005  # seconds; see cmd_serve
BANNER = "驿站助手（输入问题后回车；输入 q 或按 Ctrl-D 退出）"


def _settings(args: argparse.Namespace) -> Settings:
    kb = Path(args.kb).resolve() if getattr(args, "kb", None) else None
    return load_settings(Path(args.config) if args.config else None, knowledge_dir=kb)


def _today(args: argparse.Namespace) -> dt.date | None:
    value = getattr(args, "today", None)
    return dt.date.fromisoformat(value) if value else None


def _fixed_clock(settings: Settings, today: dt.date | None
                 ) -> Callable[[], dt.datetime] | None:
    """A clock stuck on `today` (for --today), or None for the real one."""
    if today is None:
        return None
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.chat.timezone)
    return lambda: dt.datetime.combine(today, dt.datetime.now(zone).time(), zone)


def _station_today(settings: Settings) -> dt.date:
    """Today at the station (its configured time zone), not on the server's clock."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(settings.chat.timezone)).date()


def _line_editing() -> Callable[[], None]:
    """Readline editing with a history file; returns what saves the history at the end."""
    try:
        import readline
    except ImportError:
        return lambda: None
    history = Path.home() / ".yizhan_history"
    with contextlib.suppress(OSError):
        readline.read_history_file(history)

    def save() -> None:
        with contextlib.suppress(OSError):
            readline.write_history_file(history)

    return save


@contextlib.contextmanager
def _scratch_database(settings: Settings) -> Iterator[Settings]:
    """The settings on a fresh SQLite database in a temporary folder, removed afterwards: a
    story or a one-off question reads the same every time and never touches the station's
    real tickets."""
    import dataclasses
    import tempfile

    with tempfile.TemporaryDirectory(prefix="yizhan-scratch-") as folder:
        yield dataclasses.replace(
            settings, database_url=f"sqlite+aiosqlite:///{Path(folder) / 'scratch.db'}")


def cmd_ask(args: argparse.Namespace) -> int:
    """One question, one answer: the same path as every message, on a scratch database."""
    from bot.bootstrap import bootstrap
    from bot.messages import IncomingMessage

    with _scratch_database(_settings(args)) as settings:
        assistant = bootstrap(settings, clock=_fixed_clock(settings, _today(args)))

        async def answer() -> None:
            try:
                message = IncomingMessage("console", CONSOLE_USER, " ".join(args.question))
                for reply in await assistant.dialogue.handle(message):
                    print(reply.text)
            finally:
                await assistant.close()

        asyncio.run(answer())
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """A console conversation (as a resident, leader or staff member), or a scripted story."""
    settings = _settings(args)
    try:
        speaker = Speaker.parse(args.as_ or "resident:居民@1号楼")
    except ScriptError as exc:
        raise ValueError(str(exc)) from exc
    if args.keep and not args.script:
        return _chat(args, settings, speaker)
    with _scratch_database(settings) as scratch:
        return _chat(args, scratch, speaker)


def _chat(args: argparse.Namespace, settings: Settings, speaker: Speaker) -> int:
    from zoneinfo import ZoneInfo

    from bot.bootstrap import bootstrap
    from bot.console import ConsoleClock, ConsoleDeliverer, ConsoleStory
    from bot.messages import IncomingMessage

    zone = ZoneInfo(settings.chat.timezone)
    today = _today(args)
    start = dt.datetime.now(zone)
    if today is not None:
        start = dt.datetime.combine(today, dt.time(9, 0), zone)
    clock = ConsoleClock(start)
    assistant = bootstrap(settings, clock=clock)
    names: dict[str, str] = {}
    sender = assistant.notifications(ConsoleDeliverer(assistant.unit_of_work, print, names))
    story = ConsoleStory(assistant, sender, clock, print, names,
                         assistant.scheduler(holder=f"console-{os.getpid()}"))

    if args.script:
        async def run_script() -> None:
            try:
                with open(args.script, encoding="utf-8") as handle:
                    await story.run(handle)
            finally:
                await assistant.close()

        asyncio.run(run_script())
        return 0

    interactive = sys.stdin.isatty()
    save_history = _line_editing() if interactive else (lambda: None)
    if interactive:
        print(BANNER + f"  [{speaker.notation}]")

    async def conversation() -> None:
        try:
            while True:
                try:
                    text = input("您：" if interactive else "")
                except EOFError:
                    break
                if text.strip().lower() in ("q", "quit", "exit", "退出"):
                    break
                if args.as_:
                    await story.turn(speaker, text)
                else:
                    for reply in await assistant.dialogue.handle(
                            IncomingMessage("console", CONSOLE_USER, text)):
                        print(("助手：" if interactive else "") + reply.text)
                    await story.deliver()
                if interactive:
                    print()
        finally:
            await assistant.close()

    try:
        asyncio.run(conversation())
    except KeyboardInterrupt:
        print()
    save_history()
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    """One question per stdin line -> one JSON object per line (a blank line -> fallback)."""
    from bot.kb.loader import load_knowledge
    from bot.kb.phrasebook import build_engine

    settings = _settings(args)
    engine = build_engine(settings, load_knowledge(settings.knowledge_dir))
    today = _today(args) or _station_today(settings)
    out = sys.stdout.buffer
    # Bytes in, UTF-8 out whatever the locale: a byte that is not UTF-8 becomes U+FFFD (the
    # line still gets its answer), and only "\n" ends a line.
    source = getattr(sys.stdin, "buffer", None)
    lines = source if source is not None else (line.encode() for line in sys.stdin)
    for raw in lines:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        out.write(json_line(engine.classify(text, today).as_json()))
        out.flush()
    return 0


# Characters some line-based readers take for line ends: escaped in JSON output.
_LINE_BREAKERS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\u0085"})


def json_line(value: object) -> bytes:
    """One JSON object, one line, UTF-8: line separators inside strings escaped."""
    return (json.dumps(value, ensure_ascii=False).translate(_LINE_BREAKERS) + "\n").encode()


def cmd_kb_check(args: argparse.Namespace) -> int:
    """Validate the knowledge base; non-zero exit on errors."""
    from bot.kb.check import KnowledgeChecker
    from bot.kb.phrasebook import build_engine

    settings = _settings(args)
    catalogue = Path(args.catalogue) if args.catalogue else settings.catalogue_dir
    checker = KnowledgeChecker(settings.knowledge_dir, catalogue)
    result = checker.run(None if args.fast else (lambda kb: build_engine(settings, kb)))
    print(f"checked {settings.knowledge_dir}")
    for problem in result.errors:
        print(f"error: {problem}")
    if result.warnings:
        print(f"\nwarnings ({len(result.warnings)}):")
        for problem in result.warnings:
            print(f"warning: {problem}")
    print(f"\n{len(result.errors)} error(s), {len(result.warnings)} warning(s)")
    return 1 if result.errors else 0


def cmd_kb_eval(args: argparse.Namespace) -> int:
    """Labelled questions -> accuracy figures."""
    from tqdm import tqdm

    from bot.evaluation import evaluate, format_report, read_questions
    from bot.kb.loader import load_knowledge
    from bot.kb.phrasebook import build_engine

    settings = _settings(args)
    knowledge = load_knowledge(settings.knowledge_dir)
    engine = build_engine(settings, knowledge)
    questions = read_questions(Path(args.file))
    report = evaluate(engine, questions,
                      lambda qs: tqdm(qs, desc="classifying", unit="q", file=sys.stderr))
    categories = {item.id: item.category for item in knowledge.items}
    print(format_report(report, lambda item_id: categories.get(item_id, "-")))
    if args.verbose:
        print("\nmistakes:")
        for o in report.outcomes:
            if (o.question.intent == "affairs.ask" and not o.top1) or not o.intent_ok \
                    or o.wrong_direct:
                got = o.result.item or o.result.category or o.result.intent
                print(f"  [{o.question.item or o.question.intent}] {o.question.text[:60]} -> "
                      f"{got}{' (clarify)' if o.result.clarify else ''}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The server: every channel switched on, /healthz, /metrics, scheduler and outbox."""
    from aiohttp import web

    from bot.bootstrap import bootstrap
    from bot.process_heap import ProcessHeap
    from bot.server import CHANNELS, ServerMetrics, create_app, listening_line

    settings = _settings(args)
    logging.getLogger().setLevel(logging.INFO)
    # The database driver answers from its own thread; under load the event loop holds the
    # GIL and each answer would wait out the 5 ms default switch interval.
    sys.setswitchinterval(SWITCH_INTERVAL)
    metrics = ServerMetrics()
    assistant = bootstrap(settings, observe=metrics.observe_intent)
    ProcessHeap.of_this_process().give_back_freed()
    made: list[web.Application] = []

    async def app() -> web.Application:
        made.append(await create_app(settings, assistant, metrics))
        return made[0]

    def listening(_: str) -> None:
        logging.getLogger("bot.server").info(listening_line(
            f"http://{args.host}:{args.port}", made[0][CHANNELS], settings.database_url))

    web.run_app(app(), host=args.host, port=args.port, print=listening, access_log=None)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Migrate the database schema to the current version."""
    from bot.db.database import safe_url, upgrade

    settings = _settings(args)
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}: {safe_url(settings.database_url)}")
    return 0


def cmd_staff_passwd(args: argparse.Namespace) -> int:
    """Set a staff member's or leader's web desk password, read from stdin (typed twice
    when stdin is a terminal); only its hash is stored."""
    import getpass

    from bot.db.database import Database, upgrade
    from bot.db.unit_of_work import UnitOfWork
    from bot.kb.loader import load_knowledge
    from bot.staff import texts
    from bot.staff.auth import hash_password

    settings = _settings(args)
    roster = load_knowledge(settings.knowledge_dir).roster
    name = args.name.strip()
    known = {s.name for s in roster.staff} | {b.leader for b in roster.buildings} | {
        b.backup for b in roster.buildings}
    if name not in known:
        print(texts.PASSWORD_UNKNOWN.format(name=name), file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        password = getpass.getpass("新密码：")
        if getpass.getpass("再输一遍：") != password:
            print(texts.PASSWORD_MISMATCH, file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < 8:
        print(texts.PASSWORD_SHORT, file=sys.stderr)
        return 2
    upgrade(settings.database_url)

    async def store() -> None:
        database = Database(settings.database_url)
        try:
            async with UnitOfWork(database.sessions) as uow:
                await uow.credentials.set_password(name, hash_password(password),
                                                   dt.datetime.now(dt.UTC))
                await uow.commit()
        finally:
            await database.dispose()

    asyncio.run(store())
    print(texts.PASSWORD_SET.format(name=name))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """The month's report for the street office: text on stdout, and the text, a page with
    the charts and (where Chromium is installed) its picture under --out."""
    from zoneinfo import ZoneInfo

    from bot.db.database import Database, upgrade
    from bot.db.staff_desk import TicketFilter
    from bot.db.unit_of_work import UnitOfWork
    from bot.kb.loader import load_knowledge
    from bot.staff.figures import Consultations, Figures
    from bot.staff.report import as_html, as_png, as_text, chromium, month_span
    from bot.staff.web import period_numbers

    settings = _settings(args)
    knowledge = load_knowledge(settings.knowledge_dir)
    zone = ZoneInfo(settings.chat.timezone)
    try:
        start, end = month_span(args.month)
    except ValueError:
        print("yizhan: --month is written 2026-11", file=sys.stderr)
        return 2
    upgrade(settings.database_url)

    now = min(dt.datetime.now(zone), dt.datetime.combine(end + dt.timedelta(days=1),
                                                         dt.time(), zone))

    async def read() -> tuple[Figures, Consultations]:
        database = Database(settings.database_url)
        try:
            async with UnitOfWork(database.sessions) as uow:
                return await period_numbers(uow, start, end, zone, now, TicketFilter())
        finally:
            await database.dispose()

    figures, asked = asyncio.run(read())
    categories = {c.id: c.name for c in knowledge.reports}
    station = knowledge.station.name
    text = as_text(station, figures, categories, asked)
    print(text, end="")
    out = Path(args.out).resolve() if args.out else settings.root / "var" / "reports"
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"report-{args.month}"
    stem.with_suffix(".txt").write_text(text, encoding="utf-8")
    page = stem.with_suffix(".html")
    page.write_text(as_html(station, figures, categories, asked), encoding="utf-8")
    browser = chromium()
    if browser is None:
        print(f"charts: {page} (Chromium is not installed: no PNG)", file=sys.stderr)
        return 0
    as_png(page, stem.with_suffix(".png"), browser)
    print(f"charts: {stem.with_suffix('.png')}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `yizhan`."""
    parser = argparse.ArgumentParser(prog="yizhan", description="驿站助手 (Yizhan)")
    parser.add_argument("--config", help="config file (default: config.toml of the project)")
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--kb", help="knowledge directory (default from config)")
        return sub

    chat = add("chat", "talk to the bot in the console")
    chat.add_argument("--today", help="pretend today is YYYY-MM-DD")
    chat.add_argument("--as", dest="as_", metavar="WHO",
                      help="talk as resident:NAME@BUILDING, leader:NAME or staff:NAME")
    chat.add_argument("--script", help="run a multi-party story file (SPEAKER: text per line)")
    chat.add_argument("--keep", action="store_true",
                      help="use the configured database instead of a fresh one")
    chat.set_defaults(func=cmd_chat)
    serve = add("serve", "run the server (channels, /healthz, /metrics)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--config", default=argparse.SUPPRESS,
                       help="config file (default: config.toml of the project)")
    serve.set_defaults(func=cmd_serve)
    ask = add("ask", "ask one question")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--today", help="pretend today is YYYY-MM-DD")
    ask.set_defaults(func=cmd_ask)
    classify = add("classify", "classify stdin lines to JSON lines")
    classify.add_argument("--today", help="resolve dates against YYYY-MM-DD")
    classify.set_defaults(func=cmd_classify)
    kb = commands.add_parser("kb", help="knowledge base tools")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_commands.add_parser("check", help="validate the knowledge base")
    check.add_argument("--kb", help="knowledge directory (default from config)")
    check.add_argument("--catalogue", help="station catalogue directory")
    check.add_argument("--fast", action="store_true", help="skip the engine confusion check")
    check.set_defaults(func=cmd_kb_check)
    evaluate = kb_commands.add_parser("eval", help="evaluate labelled questions")
    evaluate.add_argument("file")
    evaluate.add_argument("--kb", help="knowledge directory (default from config)")
    evaluate.add_argument("--verbose", "-v", action="store_true", help="list the mistakes")
    evaluate.set_defaults(func=cmd_kb_eval)
    db = commands.add_parser("db", help="database tools")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="migrate the schema (SQLite or PostgreSQL)")
    db_upgrade.add_argument("revision", nargs="?", default="head")
    db_upgrade.set_defaults(func=cmd_db_upgrade)
    staff = commands.add_parser("staff", help="the staff web desk")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True)
    passwd = staff_commands.add_parser(
        "passwd", help="set a web desk password (read from stdin)")
    passwd.add_argument("name", help="a staff member's or building leader's roster name")
    passwd.add_argument("--kb", help="knowledge directory (default from config)")
    passwd.set_defaults(func=cmd_staff_passwd)
    report = add("report", "the month's report for the street office (text, charts)")
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--out", help="folder for the files (default var/reports)")
    report.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `yizhan` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: "
                        "%(message)s", stream=sys.stderr)
    install_redaction(secrets_in(os.environ))
    try:
        code: int = args.func(args)
        return code
    except (ConfigError, KnowledgeError) as exc:
        print(f"yizhan: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"yizhan: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

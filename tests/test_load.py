"""Load runs (issue 7): schedules, stamps, and statistics checked against real subscribers.

Every subscriber here is a real ZeroMQ socket on 127.0.0.1; every receive has a timeout.
Protocol facts: two frames per message (§1), reports ``<rc> <hook_id> <b64>`` answered
with ``ACK`` (§3.5), HEM's ARGUMENTS (§7.1).
"""

from __future__ import annotations

import base64
import itertools
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq
from lxml import etree

from mockhm import Cloud, HookManager, encode_report
from mockhm.load.pacing import Shape, parse_shape, schedule
from mockhm.load.report import CSV_COLUMNS, SCHEMA_VERSION, parse_threshold
from mockhm.load.run import extract_stamp, generated_pool, render, run_load, stamp_point
from mockhm.schemas.validation import validate_body

LOCAL = "tcp://127.0.0.1:*"


@pytest.fixture
def ctx() -> zmq.Context[zmq.Socket[bytes]]:
    return zmq.Context.instance()


def _sub(
    ctx: zmq.Context[zmq.Socket[bytes]], endpoint: str, *, rcvhwm: int | None = None
) -> zmq.Socket[bytes]:
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.LINGER, 0)
    if rcvhwm is not None:
        sock.setsockopt(zmq.RCVHWM, rcvhwm)
        sock.setsockopt(zmq.RCVBUF, 4096)
    sock.connect(endpoint)
    sock.subscribe(b"")
    return sock


def _count(sock: zmq.Socket[bytes], expected: int, timeout_ms: int = 3000) -> int:
    """Receive until ``expected`` messages arrived or nothing came for ``timeout_ms``."""
    got = 0
    while got < expected and sock.poll(timeout_ms):
        frames = sock.recv_multipart()
        assert len(frames) == 2  # §1: key and content
        got += 1
    return got


@pytest.fixture
def pool() -> list[tuple[bytes, ...]]:
    return generated_pool(100, seed=1)


# -- schedules -------------------------------------------------------------------------------


def test_constant_schedule_is_absolute_and_exact() -> None:
    offsets = schedule(Shape.constant(1000, 0.5))
    assert len(offsets) == 500
    assert offsets[:3] == [0, 1_000_000, 2_000_000]
    assert offsets[-1] == 499_000_000  # n / rate, no accumulated error


def test_ramp_schedule_integrates_the_rate() -> None:
    offsets = schedule(Shape.ramp(0, 1000, 2.0))  # area = 1000 messages
    assert len(offsets) == 1000
    first_half = sum(1 for o in offsets if o < 1_000_000_000)
    assert first_half == 250  # a quarter of the area lies under the first half of the ramp


def test_steps_and_spike_shapes() -> None:
    steps = schedule(parse_shape("steps:100@1s,400@500ms", None))
    assert len(steps) == 300
    spike = schedule(parse_shape("spike:100:1000:1s:500ms", 2.0))
    assert len(spike) == 150 + 500  # 1.5 s at 100/s + 0.5 s at 1000/s
    during = [o for o in spike if 1_000_000_000 <= o < 1_500_000_000]
    assert len(during) == 500
    # a spike that does not fit was caught only when ``at`` was negative (precedence of `not`)
    for at, length in ((5.0, 0.5), (1.5, 1.0), (-1.0, 0.5), (0.5, 0.0), (float("nan"), 0.5)):
        with pytest.raises(ValueError, match=r"must fit in 2 s"):
            Shape.spike(10, 50, 2.0, at, length)
    # NaN and inf raised "cannot convert float NaN to integer" and OverflowError later
    for rate, duration in ((100, float("nan")), (100, float("inf")), (float("inf"), 1.0)):
        with pytest.raises(ValueError, match="must be a finite number"):
            Shape.constant(rate, duration)


def test_poisson_arrivals_are_seeded_and_keep_the_mean_rate() -> None:
    a = schedule(Shape.constant(2000, 1.0), arrivals="poisson", seed=7)
    assert a == schedule(Shape.constant(2000, 1.0), arrivals="poisson", seed=7)
    assert a != schedule(Shape.constant(2000, 1.0), arrivals="poisson", seed=8)
    assert 1800 < len(a) < 2200  # 2000 +- 4.5 sigma
    gaps = [b - x for x, b in itertools.pairwise(a)]
    assert len(set(gaps)) > len(gaps) // 2  # not evenly spaced


def test_shape_errors_name_the_allowed_forms() -> None:
    with pytest.raises(ValueError, match=r"ramp:FROM:TO.*spike:BASE:PEAK:AT:LENGTH"):
        parse_shape("zigzag:1", 1.0)
    with pytest.raises(ValueError, match="needs --duration"):
        parse_shape("ramp:1:10", None)
    with pytest.raises(ValueError, match="give a duration or a message count"):
        schedule(Shape.constant(10))
    # a rate beyond --rate's bound (or NaN) ran behind its schedule for ever: constant:1e12 hung
    for rate in ("1e12", "nan", "inf", "-1"):
        with pytest.raises(ValueError, match=rf"rate '{rate}' must be 0\.\.1e\+09 messages per second"):
            parse_shape(f"constant:{rate}", 1.0)


# -- stamps ------------------------------------------------------------------------------------


def test_stamped_bodies_stay_valid_and_sorted() -> None:
    cloud = Cloud("7.4", seed=3)
    cloud.host_allocate()
    events = cloud.vm_allocate() + cloud.host_monitor(0)
    frames = [m.frames for e in events for m in e.messages()]
    out = render(frames, [0, 5_000] * len(frames), run_id="abc123", body_size=3000)
    stamped = [f for f, s in zip(out.frames, out.stamped, strict=True) if s]
    assert stamped, "VM and HOST documents have open templates"
    for seq, (key, content) in enumerate(out.frames):
        if not out.stamped[seq]:
            continue
        body = base64.b64decode(content)
        validate_body(body, profile="7.4", key=key.decode())
        root = etree.fromstring(body)
        template = root.find(".//USER_TEMPLATE")
        if template is None:
            template = root.find(".//TEMPLATE")
        assert template is not None
        names = [child.tag for child in template]
        assert names == sorted(names)  # oned writes template attributes in order (§3.1)
        assert int(template.findtext("MOCKHM_SEQ") or "") == seq  # fixed width, zero-padded
        assert template.findtext("MOCKHM_RUN") == "abc123"
        assert int(template.findtext("MOCKHM_DUE_NS") or "") == out.offsets[seq]
        assert len(body) >= 3000 - 100


def test_stamp_point_skips_nested_and_cdata() -> None:
    body = (
        b"<X><USER_TEMPLATE><A><![CDATA[<Z>]]></A><LOG><ZZ>1</ZZ></LOG><MA/><ROLE/><ZONE>1</ZONE>"
        b"</USER_TEMPLATE></X>"
    )
    point = stamp_point(body)
    assert point is not None
    assert body[point:].startswith(b"<ROLE/>")  # not inside CDATA, not before the nested <ZZ>
    assert stamp_point(b"<HOOK_MESSAGE><CALL>one.vm.info</CALL></HOOK_MESSAGE>") is None


def test_extract_stamp_from_text_and_base64() -> None:
    assert extract_stamp("MOCKHM_RUN=ab12 MOCKHM_SEQ=42") == ("ab12", 42)
    doc = b"<VM><USER_TEMPLATE><MOCKHM_RUN><![CDATA[ff00]]></MOCKHM_RUN><MOCKHM_SEQ><![CDATA[7]]></MOCKHM_SEQ></USER_TEMPLATE></VM>"
    assert extract_stamp("one " + base64.b64encode(doc).decode() + " two") == ("ff00", 7)
    assert extract_stamp("nothing here") is None
    assert extract_stamp(None) is None


# -- statistics against real subscribers ---------------------------------------------------------


def test_sent_equals_received_below_the_hwm(
    ctx: zmq.Context[zmq.Socket[bytes]], pool: list[tuple[bytes, ...]]
) -> None:
    with HookManager(LOCAL, None, journal=False, lossless=True, hwm=100_000) as hm:
        sub = _sub(ctx, hm.events_endpoint)
        try:
            hm.wait_for_subscribers(1)
            report = run_load(hm, pool, Shape.constant(2000, 0.5))
            received = _count(sub, report.sent)
        finally:
            sub.close(0)
    assert report.scheduled == 1000
    assert report.sent == 1000 == received
    assert report.refused == 0
    assert report.loss == 0 and report.mode == "lossless"
    assert report.lag_ms is not None and report.lag_ms["count"] == 1000
    assert sum(row.sent for row in report.timeline) == 1000


def test_refusals_are_counted_and_nothing_sent_is_lost(
    ctx: zmq.Context[zmq.Socket[bytes]], pool: list[tuple[bytes, ...]]
) -> None:
    with HookManager(LOCAL, None, journal=False, lossless=True, hwm=10) as hm:
        sub = _sub(ctx, hm.events_endpoint, rcvhwm=10)  # connected, subscribed, not reading
        try:
            hm.wait_for_subscribers(1)
            report = run_load(hm, pool, None, count=20_000)
            stats = hm.statistics()
            received = _count(sub, report.sent, timeout_ms=2000)
        finally:
            sub.close(0)
    assert report.refused > 0, "a tiny HWM and a subscriber that does not read must refuse"
    assert report.sent + report.refused == 20_000
    assert (stats.sent, stats.refused) == (report.sent, report.refused)
    assert received == report.sent  # lossless: everything that was sent arrives
    assert report.loss == report.refused
    assert sum(r.refused for r in report.timeline) == report.refused
    assert parse_threshold("loss==0").check(report)["ok"] is False


def test_faithful_mode_says_loss_is_unknown(
    ctx: zmq.Context[zmq.Socket[bytes]], pool: list[tuple[bytes, ...]]
) -> None:
    with HookManager(LOCAL, None, journal=False) as hm:
        report = run_load(hm, pool, Shape.constant(1000, 0.1))
    assert report.mode == "faithful" and report.sent == 100
    assert report.loss is None
    verdict = parse_threshold("loss==0").check(report)
    assert verdict["ok"] is False and "invisible" in verdict["why"]


def test_run_load_takes_thresholds_as_the_command_line_writes_them(pool: list[tuple[bytes, ...]]) -> None:
    """``mockhm.run_load(..., thresholds=["loss==0"])``: ``Threshold`` is not exported, and a string
    failed with AttributeError after the run; a bad one is refused before anything is sent."""
    with HookManager(LOCAL, None, journal=False) as hm:
        report = run_load(hm, pool, None, count=50, thresholds=["sent==50", "refused>0"])
        assert [(t["threshold"], t["ok"]) for t in report.thresholds] == [
            ("sent==50", True),
            ("refused>0", False),
        ]
        with pytest.raises(ValueError, match="expected METRIC OP VALUE"):
            run_load(hm, pool, None, count=50, thresholds=["p99 is low"])
        assert hm.statistics().sent == 50


def _hem(
    ctx: zmq.Context[zmq.Socket[bytes]], hm: HookManager, stop: threading.Event, plain: bool
) -> Iterator[threading.Thread]:
    """A HEM-style executor: SUB on 2101, one REQ report per message on 2102 (§7.1, §3.5)."""
    sub = _sub(ctx, hm.events_endpoint)
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    assert hm.reports_endpoint is not None
    req.connect(hm.reports_endpoint)

    def loop() -> None:
        try:
            while not stop.is_set():
                if not sub.poll(50):
                    continue
                _, content = sub.recv_multipart()
                args = content.decode()
                if plain:  # an executor that passes the stamps as text
                    got = extract_stamp(args)
                    if got is None:
                        continue
                    args = f"MOCKHM_RUN={got[0]} MOCKHM_SEQ={got[1]}"
                req.send(encode_report(0, 7, arguments=args))
                assert req.poll(2000) and req.recv() == b"ACK"
        finally:
            sub.close(0)
            req.close(0)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield thread
    stop.set()
    thread.join(5)


@pytest.mark.parametrize("plain", [False, True], ids=["base64-body", "text"])
def test_hem_reports_give_latency_from_the_schedule(
    ctx: zmq.Context[zmq.Socket[bytes]], pool: list[tuple[bytes, ...]], plain: bool
) -> None:
    stop = threading.Event()
    with HookManager(LOCAL, LOCAL, journal=False, lossless=True, hwm=100_000) as hm:
        hem = _hem(ctx, hm, stop, plain)
        next(hem)
        hm.wait_for_subscribers(1)
        report = run_load(
            hm, pool, Shape.constant(500, 0.5), acks=True, drain=3.0, percentiles=(50, 99),
            thresholds=[parse_threshold("p99<60s"), parse_threshold("p50<1ns")], consume_reports=plain,
        )  # fmt: skip
        next(hem, None)
        # consume_reports=True (what `mockhm load` does) forgets the reports a run has read.
        assert (len(hm.reports) == 0) if plain else (len(hm.reports) >= report.acked)
    assert report.stamped > 0 and report.stamped < report.sent  # API events carry no template
    assert report.acked == report.stamped
    assert report.unacked == 0 and report.loss == 0
    # The base64 executor also reports unstamped messages: they are counted, never matched (the
    # run ends when the last stamped one is acknowledged: later unstamped reports may miss it).
    if plain:
        assert report.unmatched_reports == 0
    else:
        assert 0 < report.unmatched_reports <= report.sent - report.stamped
    lat = report.latency_ms
    assert lat is not None and lat["count"] == report.acked
    assert 0 < lat["min"] <= lat["p50"] <= lat["p99"] <= lat["max"]
    assert set(lat) >= {"p50", "p99", "min", "mean", "max"}
    assert sum(r.acked for r in report.timeline) == report.acked
    assert [t["ok"] for t in report.thresholds] == [True, False]


def test_reports_of_another_run_are_not_counted(ctx: zmq.Context[zmq.Socket[bytes]]) -> None:
    with HookManager(LOCAL, LOCAL, journal=False) as hm:
        req = ctx.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        assert hm.reports_endpoint is not None
        req.connect(hm.reports_endpoint)
        try:
            req.send(encode_report(0, 1, arguments="MOCKHM_RUN=0000 MOCKHM_SEQ=0"))
            assert req.poll(2000) and req.recv() == b"ACK"
            hm.wait_for_report(1)
            report = run_load(hm, generated_pool(20), Shape.constant(1000, 0.01), acks=True, drain=0.2)
        finally:
            req.close(0)
    assert report.acked == 0 and report.unmatched_reports == 0  # the old report predates the run


# -- thresholds and the report files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p99 ~ 5", "expected METRIC OP VALUE"),
        ("speed<5", "unknown metric 'speed'.*loss.*p99|unknown metric 'speed'"),
        ("p99<5kg", "unit 'kg' not allowed; use ns, us, ms or s"),
        ("loss<5ms", "takes a count or N%"),
        ("p101<5", r"percentile 101 must be in \(0, 100\]"),
    ],
)
def test_threshold_errors_are_clear(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_threshold(text)


def test_threshold_units_and_percent() -> None:
    assert parse_threshold("p99.9<=2s").value == 2000.0
    assert parse_threshold("lag_max<500us").value == 0.5
    t = parse_threshold("refused<1%")
    assert t.percent and t.value == 1.0


def _mockhm(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockhm", "load", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_cli_broken_threshold_exits_99_and_writes_reports(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    csv_path = tmp_path / "r.csv"
    html = tmp_path / "r.html"
    proc = _mockhm(
        "--events", LOCAL, "--reports", LOCAL, "--wait", "0", "--lossless", "--rate", "1000",
        "--count", "200", "--pool", "50", "--threshold", "sent<10", "--threshold", "refused==0",
        "--json", str(out), "--csv", str(csv_path), "--plot", str(html), "--quiet",
    )  # fmt: skip
    assert proc.returncode == 99, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["sent"] == 200 and data["refused"] == 0 and data["mode"] == "lossless"
    assert [t["ok"] for t in data["thresholds"]] == [False, True]
    assert csv_path.read_text().splitlines()[0] == ",".join(CSV_COLUMNS)
    assert "<svg" in html.read_text()
    assert "BROKEN" in proc.stdout
    # lossless: refusals are counted; the faithful mode's "not visible" row is not shown
    assert "refused at HWM" in proc.stdout and "dropped at HWM" not in proc.stdout


def test_cli_passing_thresholds_exit_0() -> None:
    proc = _mockhm(
        "--events", LOCAL, "--reports", LOCAL, "--wait", "0", "--rate", "2000", "--duration", "100ms",
        "--pool", "50", "--threshold", "sent==200", "--quiet",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dropped at HWM" in proc.stdout and "refused at HWM" not in proc.stdout  # faithful mode


def test_cli_processes_with_wait_0_say_they_wait_for_one_subscription(
    ctx: zmq.Context[zmq.Socket[bytes]], tmp_path: Path
) -> None:
    """Workers see subscribers only through the proxy: `--wait 0` still waits for one, and says so."""
    endpoint = f"ipc://{tmp_path}/events.sock"
    sub = _sub(ctx, endpoint)  # connects once the coordinator binds (ZeroMQ reconnects)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mockhm", "load", "--events", endpoint, "--reports", LOCAL,
             "--processes", "2", "--wait", "0", "--wait-timeout", "30", "--lossless", "--rate", "2000",
             "--count", "400", "--pool", "20", "--quiet"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        received = _count(sub, 400, timeout_ms=30_000)
        out, _ = proc.communicate(timeout=60)
    finally:
        sub.close(0)
    assert proc.returncode == 0, out
    said = " ".join(out.split())  # rich wraps at the terminal's width
    assert "--wait 0 waits for one: load workers see subscribers only through the proxy" in said
    assert received == 400


def test_cli_usage_and_tool_errors() -> None:
    bad = _mockhm(
        "--events", LOCAL, "--reports", LOCAL, "--rate", "10", "--count", "1", "--threshold", "p99 is low"
    )
    assert bad.returncode == 2
    assert "expected METRIC OP VALUE" in bad.stderr and "operators: <= >= == != < >" in bad.stderr
    with HookManager(LOCAL, None) as hm:  # the port is taken: a tool error, exit 1
        busy = _mockhm("--events", hm.events_endpoint, "--reports", LOCAL, "--rate", "10", "--count", "1")
    assert busy.returncode == 1
    assert "cannot bind the events socket" in busy.stderr


def test_two_publisher_processes_behind_one_proxy(
    ctx: zmq.Context[zmq.Socket[bytes]], pool: list[tuple[bytes, ...]], tmp_path: Path
) -> None:
    from mockhm.load.processes import run_load_processes

    # The subscriber connects before the proxy binds: an ipc path cannot be taken meanwhile
    # by another test (a TCP port freed by a probe socket could be, under pytest-xdist).
    endpoint = f"ipc://{tmp_path}/proxy.sock"
    sub = _sub(ctx, endpoint)
    try:
        with HookManager("inproc://test-load-procs", None, journal=False, lossless=True) as hm:
            report = run_load_processes(
                hm, endpoint, pool, Shape.constant(2000, 0.5), processes=2, lossless=True, hwm=100_000,
                wait=1, wait_timeout=20, linger=5,
            )  # fmt: skip
        received = _count(sub, report.sent)
    finally:
        sub.close(0)
    assert report.processes == 2 and report.endpoint == endpoint
    assert report.sent == 1000 == received and report.refused == 0
    assert report.lag_ms is not None and report.lag_ms["count"] == 1000


# -- constant memory -----------------------------------------------------------------------------


def test_stamping_re_encodes_only_the_stamps_and_matches_a_full_encoding() -> None:
    from mockhm.load.render import attr, make_template

    frames = next(f for f in generated_pool(50, seed=2) if stamp_point(base64.b64decode(f[1])) is not None)
    template = make_template(frames, "c0ffee", body_size=2000)
    assert template.parts is not None
    body = base64.b64decode(frames[1])
    point = stamp_point(body)
    assert point is not None
    for seq, due in [(0, 0), (7, 123_456_789), (10**12 - 1, 10**16 - 1), (4242, 5)]:
        key, content = template.stamp(due, seq)
        stamped = base64.b64decode(content, validate=True)
        pad_start = stamped.index(b"<MOCKHM_PAD>")
        pad = stamped[pad_start : stamped.index(b"</MOCKHM_PAD>") + len(b"</MOCKHM_PAD>")]
        expected = (
            body[:point] + attr("MOCKHM_DUE_NS", f"{due:016d}") + pad + attr("MOCKHM_RUN", "c0ffee")
            + attr("MOCKHM_SEQ", f"{seq:012d}") + body[point:]
        )  # fmt: skip
        assert key == frames[0] and content == base64.b64encode(expected)
        assert extract_stamp(content.decode()) == ("c0ffee", seq)


def test_a_run_keeps_bounded_memory_and_loses_nothing(ctx: zmq.Context[zmq.Socket[bytes]]) -> None:
    """40,000 stamped ~1.4 KB messages (56 MB if pre-rendered) through a 1 MiB render buffer:
    Python's peak allocation stays a fraction of that, and a subscriber gets every message."""
    import tracemalloc

    pool = [f for f in generated_pool(200, seed=4) if len(f[1]) < 4000]
    n = 40_000
    got: list[int] = []
    with HookManager(LOCAL, None, journal=False, lossless=True, hwm=n + 100) as hm:
        sub = _sub(ctx, hm.events_endpoint)
        sub.setsockopt(zmq.RCVHWM, 0)
        hm.wait_for_subscribers(1)
        counter = threading.Thread(target=lambda: got.append(_count(sub, n)), daemon=True)
        counter.start()
        tracemalloc.start()
        try:
            report = run_load(hm, pool, None, count=n, body_size=1024, buffer_bytes=1 << 20)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        counter.join(60)
        sub.close(0)
    rendered_bytes = report.sent_bytes
    assert report.sent == n and report.refused == 0 and report.stamped > n // 3
    assert got == [n]
    assert rendered_bytes > 50_000_000
    assert peak < rendered_bytes // 5, f"peak {peak >> 20} MiB for {rendered_bytes >> 20} MiB sent"


def test_a_remote_style_worker_joins_through_the_control_endpoint(
    ctx: zmq.Context[zmq.Socket[bytes]], pool: list[tuple[bytes, ...]], tmp_path: Path
) -> None:
    """One local process and one `mockhm load --worker CONTROL` (as on another host) behind the
    proxy: they start together and their counts and HDR lag histograms merge into one report."""
    from mockhm.load.processes import run_load_processes

    endpoint = f"ipc://{tmp_path}/workers.sock"
    sub = _sub(ctx, endpoint)
    workers: list[subprocess.Popen[str]] = []

    def start_worker(control: str, frontend: str) -> None:
        del frontend
        workers.append(
            subprocess.Popen([sys.executable, "-m", "mockhm", "load", "--worker", control], text=True)
        )

    try:
        with HookManager("inproc://test-load-remote", None, journal=False) as hm:
            report = run_load_processes(
                hm, endpoint, pool, Shape.constant(2000, 0.5), processes=1, remote_workers=1, lossless=True,
                hwm=100_000, wait=1, wait_timeout=30, linger=5, on_ready=start_worker,
            )  # fmt: skip
        received = _count(sub, report.sent)
    finally:
        sub.close(0)
        for w in workers:
            try:
                w.wait(30)
            except subprocess.TimeoutExpired:  # noqa: PERF203 - one worker
                w.kill()
                w.wait(5)
    assert [w.returncode for w in workers] == [0]
    assert report.processes == 2 and report.sent == 1000 == received and report.refused == 0
    assert report.lag_ms is not None and report.lag_ms["count"] == 1000  # both histograms merged
    assert sum(r.sent for r in report.timeline) == 1000


def test_stop_ends_a_run_that_sends_whole_chunks(pool: list[tuple[bytes, ...]]) -> None:
    """A sender behind schedule sends whole rendered chunks; a stop still ends the run there."""
    stop = threading.Event()
    with HookManager(LOCAL, None, journal=False) as hm:
        report = run_load(hm, pool, None, count=500_000, stop=stop, on_progress=lambda p: stop.set())
    assert report.stopped_early and 0 < report.sent < 500_000
    assert report.scheduled == 500_000


def test_a_worker_on_another_host_reaches_a_wildcard_proxy_at_the_coordinators_host() -> None:
    from mockhm.load.processes import reachable

    assert reachable("tcp://0.0.0.0:5600", "tcp://coord.example:5601") == "tcp://coord.example:5600"
    assert reachable("tcp://127.0.0.1:5600", "tcp://coord.example:5601") == "tcp://127.0.0.1:5600"
    assert reachable("ipc:///tmp/proxy", "tcp://coord.example:5601") == "ipc:///tmp/proxy"

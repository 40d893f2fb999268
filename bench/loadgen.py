"""Signed Twilio SMS webhooks for wrk: a Lua script holding every request, paced or not, and wrk's summary read back.

wrk 4 (Debian's) has no fixed-rate mode (that is wrk2's `-R`). A paced run uses wrk's `delay()` hook instead: each
thread keeps a schedule of one request every `threads / rate` seconds on CLOCK_MONOTONIC (read through LuaJIT's
ffi) and holds each connection's next request until its slot. A request whose slot has passed goes at once, so a
server that cannot keep up is seen as an achieved rate below the one asked for, never as a silent shortfall.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

__all__ = [
    "BLOCK",
    "CONVERSATIONS",
    "SMS_PATH",
    "STEPS",
    "TEXTS",
    "WrkResult",
    "conversations",
    "in_turn",
    "run_wrk",
    "senders_used",
    "signed_requests",
    "write_script",
]

SMS_PATH = "/webhooks/twilio/sms"
# What tenants write: a greeting that starts a conversation, answers by number, a keyword, a date.
TEXTS = ("Hej", "1", "HJÆLP", "2", "d. 15", "Hej igen", "3")
# What one tenant writes from start to end (`conversations`), every one as long: the rent's already paid, then a
# promise to pay on the 15th, then what help there is, and a promise begun again; or an adviser wanted (a case
# opens), and the tenant writes on.
CONVERSATIONS = (
    ("Hej", "1", "Hej igen", "2", "d. 15", "HJÆLP", "2"),
    ("Hej", "3", "1", "Hej igen", "Tak", "HJÆLP", "d. 15"),
)
STEPS = len(CONVERSATIONS[0])
# The senders whose conversations run side by side: a sender's next message comes this many messages later.
BLOCK = 250
_CHUNK = 4000  # requests per Lua function: LuaJIT allows 65,536 constants per function

_LUA_RUNNER = """
local path = "%(path)s"
local threads = {}
local counter = 0
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } keephome_timespec;
int clock_gettime(int clk_id, keephome_timespec *tp);
]]
local ts = ffi.new("keephome_timespec")

local function now_ms()
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(args[1])
  local rate = tonumber(args[2])
  -- Milliseconds between two requests of this thread; 0 means as fast as the connections allow.
  interval = 0
  if rate > 0 then interval = 1000 * nthreads / rate end
  next_at = nil
  reqs = {}
  wraps = 0
  idx = 0
  local i = 0
  for _, chunk in ipairs(chunks) do
    for _, r in ipairs(chunk()) do
      if i %% nthreads == tid then
        local headers = {}
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["X-Twilio-Signature"] = r[1]
        reqs[#reqs + 1] = wrk.format("POST", path, headers, r[2])
      end
      i = i + 1
    end
  end
end

function delay()
  if interval == 0 then return 0 end
  local now = now_ms()
  if next_at == nil then next_at = now end
  next_at = next_at + interval
  local wait = next_at - now
  if wait < 0 then return 0 end
  return wait
end

function request()
  idx = idx + 1
  if idx > #reqs then
    idx = 1
    wraps = wraps + 1
  end
  return reqs[idx]
end

function done(summary, latency, requests)
  local w = 0
  for _, t in ipairs(threads) do
    w = w + (t:get("wraps") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%%d,"duration_us":%%d,"status":%%d,"connect":%%d,"read":%%d,"write":%%d,' ..
    '"timeout":%%d,"p50_us":%%d,"p99_us":%%d,"max_us":%%d,"wraps":%%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, w))
end
"""


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests: int
    seconds: float
    failed: int  # non-2xx answers and socket errors
    p50_ms: float
    p99_ms: float
    max_ms: float
    wraps: int  # times a thread ran out of unique requests and started again
    failures: str = ""  # the failed ones by kind, e.g. "timeout 1" (wrk's: status, connect, read, write, timeout)

    @property
    def ok_per_second(self) -> float:
        """Requests answered 2xx per second."""
        return (self.requests - self.failed) / self.seconds if self.seconds else 0.0


def in_turn(senders: Sequence[str], count: int) -> Iterator[tuple[str, str]]:
    """`count` (sender, text) pairs: the senders in turn, the texts in turn."""
    return islice(zip(itertools.cycle(senders), itertools.cycle(TEXTS)), count)


def conversations(senders: Sequence[str], first: int, count: int, block: int = BLOCK) -> Iterator[tuple[str, str]]:
    """`count` (sender, text) pairs from the `first`-th sender on: each sender writes one whole conversation of
    CONVERSATIONS (sender i the (i % 2)-th), `block` senders at a time, a sender's messages `block` apart. Every
    whole block holds the same steps of the same conversations, so two loads from fresh senders do the same work
    a message whatever their length (bench/README.md, 2026-12-04)."""
    for n in range(count):
        j, t = divmod(n % (block * STEPS), block)
        i = first + n // (block * STEPS) * block + t
        yield senders[i % len(senders)], CONVERSATIONS[i % len(CONVERSATIONS)][j]


def senders_used(first: int, sent: int, block: int = BLOCK) -> int:
    """The index after the last sender `conversations(first=first)` wrote for in its first `sent` messages."""
    return first + -(-sent // (block * STEPS)) * block


def signed_requests(
    public_url: str, auth_token: str, account_sid: str, to: str, messages: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """(signature, body) pairs as Twilio sends them for (sender, text) pairs: each a new MessageSid."""
    validator = RequestValidator(auth_token)
    url = public_url + SMS_PATH
    out: list[tuple[str, str]] = []
    for sender, text in messages:
        sid = "SM" + uuid.uuid4().hex
        params = {
            "ToCountry": "DK",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": text,
            "FromCountry": "DK",
            "To": to,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": account_sid,
            "From": sender,
            "ApiVersion": "2010-04-01",
        }
        out.append((str(validator.compute_signature(url, params)), urlencode(params)))
    return out


def _lua_string(value: str) -> str:
    # Form bodies and base64 signatures never hold quotes, backslashes or newlines; refuse if one does.
    if any(c in value for c in '"\\\n\r'):
        raise ValueError("a request does not fit a plain Lua string")
    return f'"{value}"'


def write_script(path: Path, requests: Sequence[tuple[str, str]]) -> Path:
    """Write a wrk Lua script that cycles through these requests, split between wrk's threads."""
    lines = ["-- keephome inbound benchmark: pre-signed Twilio SMS webhooks", "chunks = {}"]
    for start in range(0, len(requests), _CHUNK):
        lines.append("chunks[#chunks + 1] = function() return {")
        lines.extend(f"{{{_lua_string(sig)},{_lua_string(body)}}}," for sig, body in requests[start : start + _CHUNK])
        lines.append("} end")
    lines.append(_LUA_RUNNER % {"path": SMS_PATH})
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_wrk(
    url: str,
    script: Path,
    *,
    threads: int,
    connections: int,
    seconds: int,
    rate: float = 0.0,
    pin: Sequence[str] = (),
) -> WrkResult:
    """Run wrk against `url` with the script and return its summary.

    `rate` > 0 paces the requests (requests per second over all threads); `pin` is a command prefix such as
    `taskset -c 1` that keeps wrk on its own core.
    """
    command = [
        *pin,
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        str(script),
        url,
        "--",
        str(threads),
        f"{rate:.3f}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    kinds = ("status", "connect", "read", "write", "timeout")
    failed = sum(int(data[k]) for k in kinds)
    return WrkResult(
        requests=int(data["requests"]),
        seconds=int(data["duration_us"]) / 1e6,
        failed=failed,
        p50_ms=int(data["p50_us"]) / 1000,
        p99_ms=int(data["p99_us"]) / 1000,
        max_ms=int(data["max_us"]) / 1000,
        wraps=int(data["wraps"]),
        failures=", ".join(f"{kind} {data[kind]}" for kind in kinds if int(data[kind])),
    )

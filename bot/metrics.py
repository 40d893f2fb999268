"""Prometheus metrics: counts by channel and result, failed deliveries, outbox depth and waiting rows, send latency,
the daily plan.

Each value is kept up to date by the code that changes it (the outbox depth and the waiting rows by the sender,
see `bot.outbox.depth`): rendering them for a scrape reads memory only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

__all__ = ["Metrics", "SenderGauge"]


class SenderGauge:
    """A gauge only the process that sends can know (it counts rows the webhooks of every process commit): absent
    from a scrape until that process sets it, and again once it stops sending. A number here is never a stale count
    nor a 0 said while a message waits, and NaN is no value an alert or a dashboard can read."""

    def __init__(self, name: str, documentation: str, registry: CollectorRegistry) -> None:
        self._name = name
        self._documentation = documentation
        self.value: float | None = None
        registry.register(self)

    def set(self, value: float) -> None:
        """The count the sender's refresh made."""
        self.value = float(value)

    def clear(self) -> None:
        """This process stopped sending: it knows the count no more."""
        self.value = None

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The name, for the registry's check that no two metrics share it."""
        yield GaugeMetricFamily(self._name, self._documentation)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The sample, while this process sends."""
        if self.value is not None:
            yield GaugeMetricFamily(self._name, self._documentation, value=self.value)


class Metrics:
    """One registry per running service (tests build several)."""

    def __init__(self) -> None:
        self._sent: dict[tuple[str, str], tuple[Any, Any]] = {}
        self.registry = CollectorRegistry()
        self.inbound = Counter(
            "keephome_inbound_messages",
            'Inbound messages by channel and result (result="duplicate": one a provider sent again, already stored, '
            "answered as the first time and handled once)",
            ["channel", "result"],
            registry=self.registry,
        )
        self.inbound_held = Counter(
            "keephome_inbound_held_seconds",
            "Time the webhooks' commits were held while the processor was behind (their answers came that much later)",
            registry=self.registry,
        )
        self.inbound_waiting = SenderGauge(
            "keephome_inbound_waiting",
            "Messages from tenants committed by the webhooks and not handled yet (counted by the process that sends, "
            "which also handles them; absent from a process that does not send: read max() over every process)",
            self.registry,
        )
        self.inbound_oldest_waiting = SenderGauge(
            "keephome_inbound_oldest_waiting_seconds",
            "How long the oldest message from a tenant not handled yet has waited (0 when none waits): a processor "
            "that has stopped or keeps failing (measured by the process that sends; absent from a process that does "
            "not send: read max() over every process)",
            self.registry,
        )
        self.inbound_failed = SenderGauge(
            "keephome_inbound_failed",
            'Messages from tenants keephome could not handle (set aside unanswered, counted as result="error" in '
            "keephome_inbound_messages) that no admin has marked dealt with on the admin page (counted by the process "
            "that sends; absent from a process that does not)",
            self.registry,
        )
        self.outbound = Counter(
            "keephome_outbound_messages",
            "Send attempts by channel and result",
            ["channel", "result"],
            registry=self.registry,
        )
        self.unknown_outcome = Counter(
            "keephome_outbound_unknown_outcome",
            "Send attempts whose outcome is unknown (no answer in time, the connection lost after the request went, "
            "or a process stopped before it recorded the send): the message is sent again, so the tenant may get it "
            "twice (the console says so on the message, and the admin page lists the last week's)",
            ["channel"],
            registry=self.registry,
        )
        self.outbox_failed = Counter(
            "keephome_outbox_failed",
            "Outbox rows that failed for good, not sent, by channel and reason: gave_up (every attempt met a "
            "transient failure), permanent (the provider refused it), blocked, opted_out",
            ["channel", "reason"],
            registry=self.registry,
        )
        self.delivery_failed = Counter(
            "keephome_delivery_failed",
            "Messages sent that the provider later reported not delivered, by channel and status (undelivered, "
            "failed): counted once a message, when its delivery status becomes one of these",
            ["channel", "status"],
            registry=self.registry,
        )
        self.send_failing_since = Gauge(
            "keephome_send_failing_since_seconds",
            "While a channel's tries fail (the provider unreachable, no answer in time, a 5xx, the account refused): "
            "the Unix time of the first failed try since the provider last answered; 0 while it answers",
            ["channel"],
            registry=self.registry,
        )
        self.outbox_depth = SenderGauge(
            "keephome_outbox_depth",
            "Outbox rows waiting to be sent (counted by the process that sends; absent from a process that does not)",
            self.registry,
        )
        self.outbox_due = SenderGauge(
            "keephome_outbox_due",
            "Outbox rows whose time to go has come and that are not sent yet (not a retry waiting for its next "
            "attempt, nor a row put off to the end of quiet hours; counted by the process that sends)",
            self.registry,
        )
        self.outbox_oldest_due = SenderGauge(
            "keephome_outbox_oldest_due_seconds",
            "How long the outbox row due longest has waited since its time came (0 when none is due): a backlog the "
            "sender does not keep up with (measured by the process that sends)",
            self.registry,
        )
        self.paused = SenderGauge(
            "keephome_paused",
            "1 while proactive sending is paused (the console's switch or KEEPHOME_PAUSED): no reminder goes out; 0 "
            "otherwise (kept by the process that sends, at each claim; absent from a process that does not, which "
            "does not read the switch)",
            self.registry,
        )
        self.outbox_waiting = Gauge(
            "keephome_outbox_waiting",
            "Proactive outbox rows that cannot go now, by reason: no_channel (none configured reaches the tenant) "
            "or paused (counted by the process that sends; absent from a process that does not)",
            ["reason"],
            registry=self.registry,
        )
        self.outbox_not_sent = Gauge(
            "keephome_outbox_not_sent",
            "Outbox rows not sent, of those due over the last seven days, by state and reason: held by a rule "
            "(stopped, wrong_number, erased, balance_cleared, ...) or dropped as no longer due (stage_passed, "
            "one_a_day, superseded, ...; counted by the process that sends, absent from a process that does not)",
            ["state", "reason"],
            registry=self.registry,
        )
        self.not_sent_labels: set[tuple[str, str]] = set()  # the (state, reason) pairs the gauge has shown
        self.depth_refreshed_at = float("-inf")  # time.monotonic() of the sender's last count
        self.roles = Gauge(
            "keephome_role_held",
            "Whether this process holds the role (scheduler, sender, poller): 1 or 0",
            ["role"],
            registry=self.registry,
        )
        self.plan_failed = Counter(
            "keephome_plan_failed",
            "Runs of the daily plan that failed (the log says why): the scheduler tries again every 15 minutes",
            registry=self.registry,
        )
        self.plan_planned_at = Gauge(
            "keephome_plan_planned_at_seconds",
            "The Unix time the last day's reminders were planned, as the scheduler's holder read it at its last "
            "look (every 15 minutes); 0 in a process that does not hold the scheduler role",
            registry=self.registry,
        )
        self.plan_stale = Gauge(
            "keephome_plan_stale_balance",
            "Tenants the last daily plan left out because their balance data was older than "
            "KEEPHOME_BALANCE_MAX_AGE_DAYS: no reminder goes to them until fresh balances are loaded",
            registry=self.registry,
        )
        self.send_latency = Histogram(
            "keephome_send_latency_seconds",
            "Time one provider call takes",
            ["channel"],
            registry=self.registry,
        )

    def stopped_sending(self) -> None:
        """This process no longer sends: the gauges only the sender keeps are absent from its scrapes from now on."""
        for gauge in (
            self.inbound_waiting,
            self.inbound_oldest_waiting,
            self.inbound_failed,
            self.outbox_depth,
            self.outbox_due,
            self.outbox_oldest_due,
            self.paused,
        ):
            gauge.clear()
        # The sender's counts by label too: a stopped sender shows none of them, not its last.
        self.outbox_waiting.clear()
        self.outbox_not_sent.clear()
        self.not_sent_labels.clear()

    def sent(self, channel: str, outcome: str, seconds: float, *, maybe_sent: bool = False) -> None:
        """Count one provider call and its latency (label children cached: this runs per send); `maybe_sent`: its
        outcome is unknown, and the message goes again."""
        key = (channel, outcome)
        children = self._sent.get(key)
        if children is None:
            children = self._sent[key] = (self.send_latency.labels(channel), self.outbound.labels(channel, outcome))
        children[0].observe(seconds)
        children[1].inc()
        if maybe_sent:
            self.unknown_outcome.labels(channel).inc()

    def render(self) -> bytes:
        """The text exposition format."""
        return bytes(generate_latest(self.registry))

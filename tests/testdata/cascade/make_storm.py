#!/usr/bin/env python3
"""Writes storm.jsonl: a database outage cascading to twenty services, as Prometheus would have sent it.

Run from this folder: python3 make_storm.py > storm.jsonl. The output is deterministic; README.md describes it.
"""
import json

START = 20 * 3600  # 20:00:00, seconds into 2026-05-28
STEP = 15          # Prometheus' evaluation interval: new and resolved alerts go out then
RESEND = 60        # Prometheus' resend_delay: every firing alert is sent again once a minute

# service -> (seconds after 20:00:00 when its alerts start, seconds when they stop)
POSTGRES_DOWN, POSTGRES_UP = 0, 600
SERVICES = {
    # depends on postgres directly: they fail first
    "payments": 45, "orders": 45, "inventory": 60, "accounts": 60, "billing": 60, "catalog": 60, "pricing": 75,
    "reviews": 75, "reporting": 75,
    # one step further
    "cart": 90, "checkout": 90, "auth": 90, "shipping": 105, "notifications": 105, "search": 105,
    "recommendations": 105, "promotions": 105,
    # the edge
    "gateway": 120, "frontend": 120, "mobile-api": 120,
}


def ts(seconds):
    h, rest = divmod(START + seconds, 3600)
    m, s = divmod(rest, 60)
    return f"2026-05-28T{h:02d}:{m:02d}:{s:02d}Z"


def alerts_of(service, start):
    """The alerts a service raises: errors on two instances, latency on one."""
    out = []
    for name, severity, instances in (("HighErrorRate", "critical", 2), ("HighLatency", "warning", 1)):
        for i in range(instances):
            out.append({
                "labels": {"alertname": name, "service": service, "severity": severity,
                           "instance": f"{service}-{i}:8080", "job": service},
                "annotations": {"summary": f"{name} on {service}-{i}",
                                "description": f"{service}-{i} cannot reach its database"},
                "startsAt": ts(start),
                "generatorURL": f"http://prometheus:9090/graph?g0.expr={name}",
            })
    return out


def main():
    timeline = []  # (start, stop, alert)
    for i, (name, severity) in enumerate((("PostgresDown", "critical"), ("PostgresReplicationLag", "warning"),
                                          ("PostgresReplicationLag", "warning"))):
        alert = {"labels": {"alertname": name, "service": "postgres", "severity": severity,
                            "instance": f"postgres-{i}:5432", "job": "postgres"},
                 "annotations": {"summary": f"{name} on postgres-{i}"},
                 "startsAt": ts(POSTGRES_DOWN),
                 "generatorURL": f"http://prometheus:9090/graph?g0.expr={name}"}
        timeline.append((POSTGRES_DOWN, POSTGRES_UP, alert))
    # Services recover after the database, within 90 s of it.
    for k, (service, start) in enumerate(SERVICES.items()):
        stop = POSTGRES_UP + 15 + (k % 6) * 15
        for alert in alerts_of(service, start):
            timeline.append((start, stop, alert))
    for t in range(0, POSTGRES_UP + 120 + 1, STEP):
        body = []
        for start, stop, alert in timeline:
            if start <= t < stop and (t == start or (t - start) % RESEND == 0):
                body.append(alert)
            elif stop <= t < stop + STEP:  # sent once more, resolved
                body.append(dict(alert, endsAt=ts(stop)))
        if body:
            print(json.dumps({"at": ts(t), "format": "prometheus", "body": body}, separators=(",", ":")))


if __name__ == "__main__":
    main()

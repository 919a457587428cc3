"""`yiwang up --scale`: counts per process kind, clear errors for bad ones, web processes sharing one port."""

from __future__ import annotations

import socket

import pytest

from core.errors import Conflict
from ops.cli import main
from ops.scale import instances, parse_scale, reuse_port_socket
from tests.conftest import free_port


def test_scale_counts_every_kind_and_names_each_process() -> None:
    counts = parse_scale("web=2, worker=2,consumers=3")
    assert counts == {"web": 2, "worker": 2, "consumers": 3, "scheduler": 1}
    labels = [(one.label, one.kind, one.env) for one in instances(counts, metrics_port=9100)]
    assert labels[:3] == [
        ("web.1", "web", {"METRICS_PORT": "9100"}),
        ("web.2", "web", {"METRICS_PORT": "9101"}),
        ("worker.1", "worker", {}),
    ]
    assert [label for label, _, _ in labels[3:]] == [
        "worker.2",
        "consumers.1",
        "consumers.2",
        "consumers.3",
        "scheduler",
    ]
    assert parse_scale("worker=0")["worker"] == 0, "a host may run no job worker"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("web=0", "web=0: give a whole number from 1 to 16"),
        ("consumers=17", "consumers=17: give a whole number from 0 to 16"),
        ("worker=two", "worker=two: give a whole number from 0 to 16"),
        ("web=-1", "web=-1: give a whole number"),
        ("gpu=2", "unknown process 'gpu': the kinds are web, worker, consumers, scheduler"),
        ("web=2,web=3", "web is given twice"),
        ("web", "'web' is not KIND=N (for example web=2,worker=2,consumers=2)"),
        ("web=2,", "'' is not KIND=N"),
    ],
)
def test_a_bad_scale_is_a_usage_error_naming_the_fix(value: str, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["up", "--scale", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --scale: " + says in err, err


def test_web_processes_share_a_port_that_nothing_else_holds() -> None:
    port = free_port()
    first, second = reuse_port_socket("127.0.0.1", port), reuse_port_socket("127.0.0.1", port)
    first.close(), second.close()
    with socket.socket() as foreign:
        foreign.bind(("127.0.0.1", port))
        foreign.listen()
        with pytest.raises(Conflict, match=f"port {port} on 127.0.0.1 is already in use"):
            reuse_port_socket("127.0.0.1", port)


def test_up_supervises_each_process_and_only_several_web_processes_share_the_port() -> None:
    from ops.up import _supervise

    supervisor = _supervise({}, parse_scale("web=2,consumers=2,scheduler=0"), worker_threads=3, metrics_port=0)
    assert [(c.name, c.argv[3:]) for c in supervisor.children] == [
        ("web.1", ["web", "--reuse-port"]),
        ("web.2", ["web", "--reuse-port"]),
        ("worker", ["worker", "--threads", "3"]),
        ("consumers.1", ["consumers"]),
        ("consumers.2", ["consumers"]),
    ]
    alone = _supervise({}, parse_scale("worker=1"), worker_threads=4, metrics_port=0)
    assert alone.children[0].argv[3:] == ["web"], "one web process binds PORT as before"

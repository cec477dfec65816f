#!/usr/bin/python3
"""A minimal CRI client: what kubelet asks of the runtime for pod sandboxes.

    cri.py --sock SOCK version
    cri.py --sock SOCK run NAMESPACE NAME UID [--host-network] [--log-dir DIR]
                                              [--cgroup-parent P] [--status-out FILE]
                                              [--label K=V]... [--annotation K=V]...
    cri.py --sock SOCK status ID      JSON: id, namespace, name, uid, state, ip,
                                      additional_ips, netns, pid, created_at, ...
    cri.py --sock SOCK stop ID
    cri.py --sock SOCK rm ID
    cri.py --sock SOCK list           JSON array: id, namespace, name, uid, state,
                                      created_at
    cri.py --sock SOCK reset          stops and removes every sandbox, prints how many

The stubs come from api.proto next to this file, compiled with grpc_tools into
$CRI_PY_GEN when that is set (k8s.bash compiles once per test file), else into
a temporary directory removed at exit. /usr/bin/python3 on purpose: Debian's
python3-grpcio and python3-protobuf are not in another interpreter's path.
"""

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TIMEOUT = 60


def load_stubs():
    gen = os.environ.get("CRI_PY_GEN")
    tmp = None
    if not gen:
        tmp = gen = tempfile.mkdtemp(prefix="cri-py-")
    if not os.path.exists(os.path.join(gen, "api_pb2_grpc.py")):
        os.makedirs(gen, exist_ok=True)
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", HERE,
                        "--python_out", gen, "--grpc_python_out", gen,
                        os.path.join(HERE, "api.proto")], check=True)
    sys.path.insert(0, gen)
    pb2 = importlib.import_module("api_pb2")
    grpc_mod = importlib.import_module("api_pb2_grpc")
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    return pb2, grpc_mod


def key_values(pairs):
    out = {}
    for p in pairs or []:
        k, sep, v = p.partition("=")
        if not sep:
            raise SystemExit(f"Error: {p!r} is not KEY=VALUE")
        out[k] = v
    return out


def run(stub, pb, a):
    # What kubelet puts on every sandbox: the pod's identity as labels, and
    # a log directory /var/log/pods/<ns>_<name>_<uid> (kubelet creates it).
    labels = {"io.kubernetes.pod.name": a.name,
              "io.kubernetes.pod.namespace": a.namespace,
              "io.kubernetes.pod.uid": a.uid}
    labels.update(key_values(a.label))
    annotations = {"kubernetes.io/config.source": "api",
                   "kubernetes.io/config.seen": "2024-01-01T00:00:00Z"}
    annotations.update(key_values(a.annotation))
    net = pb.NODE if a.host_network else pb.POD
    cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=a.name, uid=a.uid,
                                       namespace=a.namespace, attempt=0),
        # A hostNetwork sandbox must have an empty hostname: the node's.
        hostname="" if a.host_network else a.name,
        log_directory=a.log_dir or "",
        labels=labels,
        annotations=annotations,
        linux=pb.LinuxPodSandboxConfig(
            cgroup_parent=a.cgroup_parent or "",
            security_context=pb.LinuxSandboxSecurityContext(
                namespace_options=pb.NamespaceOption(
                    network=net, pid=pb.CONTAINER, ipc=pb.POD))))
    r = stub.RunPodSandbox(pb.RunPodSandboxRequest(config=cfg), timeout=TIMEOUT)
    if a.status_out:
        with open(a.status_out, "w") as f:
            f.write(status_of(stub, pb, r.pod_sandbox_id) + "\n")
    print(r.pod_sandbox_id)


def status_of(stub, pb, sandbox_id):
    r = stub.PodSandboxStatus(
        pb.PodSandboxStatusRequest(pod_sandbox_id=sandbox_id, verbose=True),
        timeout=TIMEOUT)
    s = r.status
    info = json.loads(r.info.get("info", "{}") or "{}")
    # The netns the runtime handed to the pause container; none at all for
    # a hostNetwork sandbox.
    spec_ns = info.get("runtimeSpec", {}).get("linux", {}).get("namespaces", [])
    netns = [n.get("path", "") for n in spec_ns if n.get("type") == "network"]
    out = {
        "id": s.id,
        "namespace": s.metadata.namespace,
        "name": s.metadata.name,
        "uid": s.metadata.uid,
        "attempt": s.metadata.attempt,
        "state": pb.PodSandboxState.Name(s.state),
        "created_at": s.created_at,
        "ip": s.network.ip,
        "additional_ips": [x.ip for x in s.network.additional_ips],
        "network_mode": pb.NamespaceMode.Name(
            s.linux.namespaces.options.network),
        # containerd's verbose info: the pause process and the netns path
        # (empty for a hostNetwork sandbox), from the OCI spec it was run with.
        "pid": info.get("pid", 0),
        "netns": netns[0] if netns else "",
        "labels": dict(s.labels),
        "annotations": dict(s.annotations),
    }
    return json.dumps(out, indent=1, sort_keys=True)


def status(stub, pb, a):
    print(status_of(stub, pb, a.id))


def reset(stub, pb, a):
    """Every sandbox stopped (CNI DEL, netns gone) and removed."""
    r = stub.ListPodSandbox(pb.ListPodSandboxRequest(), timeout=TIMEOUT)
    for x in r.items:
        stub.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=x.id),
                            timeout=TIMEOUT)
        stub.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=x.id),
                              timeout=TIMEOUT)
    print(len(r.items))


def listing(stub, pb, a):
    r = stub.ListPodSandbox(pb.ListPodSandboxRequest(), timeout=TIMEOUT)
    print(json.dumps([{"id": x.id,
                       "namespace": x.metadata.namespace,
                       "name": x.metadata.name,
                       "uid": x.metadata.uid,
                       "state": pb.PodSandboxState.Name(x.state),
                       "created_at": x.created_at} for x in r.items],
                     indent=1, sort_keys=True))


def main():
    ap = argparse.ArgumentParser(description="minimal CRI pod sandbox client")
    ap.add_argument("--sock", required=True, help="the runtime's unix socket")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("version")
    p = sub.add_parser("run")
    p.add_argument("namespace")
    p.add_argument("name")
    p.add_argument("uid")
    p.add_argument("--host-network", action="store_true")
    p.add_argument("--log-dir")
    p.add_argument("--cgroup-parent")
    p.add_argument("--status-out", help="also write the new sandbox's status JSON here")
    p.add_argument("--label", action="append")
    p.add_argument("--annotation", action="append")
    for c in ("status", "stop", "rm"):
        sub.add_parser(c).add_argument("id")
    sub.add_parser("list")
    sub.add_parser("reset")
    a = ap.parse_args()

    pb, pb_grpc = load_stubs()
    import grpc
    chan = grpc.insecure_channel("unix://" + os.path.abspath(a.sock))
    stub = pb_grpc.RuntimeServiceStub(chan)
    try:
        if a.cmd == "version":
            r = stub.Version(pb.VersionRequest(version="v1"), timeout=5)
            print(json.dumps({"runtime_name": r.runtime_name,
                              "runtime_version": r.runtime_version,
                              "runtime_api_version": r.runtime_api_version}))
        elif a.cmd == "run":
            run(stub, pb, a)
        elif a.cmd == "status":
            status(stub, pb, a)
        elif a.cmd == "stop":
            stub.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=a.id),
                                timeout=TIMEOUT)
        elif a.cmd == "rm":
            stub.RemovePodSandbox(
                pb.RemovePodSandboxRequest(pod_sandbox_id=a.id), timeout=TIMEOUT)
        elif a.cmd == "list":
            listing(stub, pb, a)
        elif a.cmd == "reset":
            reset(stub, pb, a)
    except grpc.RpcError as e:
        print(f"Error: {a.cmd}: {e.code().name}: {e.details()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Sealed srvsvc NetrServerGetInfo(101) with Debian's impacket 0.10 (python3-impacket): the
third-party side of bench/src/wcce-rpc.bench.ts, run alongside our client against the same smbd.

Transport as acme2certifier/Certipy: ncacn_np over SMB to `\\srvsvc`, RPC auth type 10 (raw
NTLMSSP) at PKT_PRIVACY, the SMB dialect forced (impacket turns SMB3 encryption on by itself at 3.0).

  /usr/bin/python3 impacket_rpc.py --port P --user U --password PW [--domain TEST]
                                   --mode new|reuse [--dialect 2.1|3.0] [--calls N] [--max-seconds S]

  new   : per call a new TCP connection + SMB negotiate + NTLM session setup + tree connect IPC$ +
          pipe open + authenticated bind + NetrServerGetInfo, then disconnect
  reuse : one connection + bind; per call only NetrServerGetInfo

Prints one JSON line: {"mode", "dialect", "calls", "seconds", "cpu_s", "lat_med_ms", "name"}.
`cpu_s` is this process's own user+system CPU (resource.getrusage) over the timed calls.
Bounded by --calls and --max-seconds (and impacket's own 60 s socket timeout). Run with
/usr/bin/python3: impacket is not importable from a pyenv python.
"""
import argparse
import json
import resource
import statistics
import sys
import time

from impacket.dcerpc.v5 import srvs, transport
from impacket.dcerpc.v5.rpcrt import RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_AUTHN_WINNT
from impacket.smb3structs import SMB2_DIALECT_21, SMB2_DIALECT_30

DIALECTS = {"2.1": SMB2_DIALECT_21, "3.0": SMB2_DIALECT_30}


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def connect(args):
    t = transport.SMBTransport(
        args.host, dstport=args.port, filename=r"\srvsvc", username=args.user, password=args.password, domain=args.domain
    )
    t.preferred_dialect(DIALECTS[args.dialect])
    dce = t.get_dce_rpc()
    dce.set_auth_type(RPC_C_AUTHN_WINNT)
    dce.set_auth_level(RPC_C_AUTHN_LEVEL_PKT_PRIVACY)
    dce.connect()
    dce.bind(srvs.MSRPC_UUID_SRVS)
    return dce


def get_info(dce):
    name = srvs.hNetrServerGetInfo(dce, 101)["InfoStruct"]["ServerInfo101"]["sv101_name"]
    if not name:
        raise RuntimeError("empty server name")
    return name


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--domain", default="TEST")
    p.add_argument("--mode", choices=("new", "reuse"), required=True)
    p.add_argument("--dialect", choices=sorted(DIALECTS), default="2.1")
    p.add_argument("--calls", type=int, default=100)
    p.add_argument("--max-seconds", type=float, default=60.0)
    args = p.parse_args()

    latencies = []
    name = None
    dce = connect(args) if args.mode == "reuse" else None
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    while len(latencies) < args.calls and time.perf_counter() - t0 < args.max_seconds:
        a = time.perf_counter()
        if args.mode == "new":
            d = connect(args)
            name = get_info(d)
            d.disconnect()
        else:
            name = get_info(dce)
        latencies.append(time.perf_counter() - a)
    seconds = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0
    if dce is not None:
        dce.disconnect()
    print(
        json.dumps(
            {
                "mode": args.mode,
                "dialect": args.dialect,
                "calls": len(latencies),
                "seconds": round(seconds, 4),
                "cpu_s": round(cpu, 4),
                "lat_med_ms": round(statistics.median(latencies) * 1e3, 3) if latencies else None,
                "name": str(name).rstrip("\x00") if name is not None else None,
            }
        )
    )


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one JSON line either way, so the benchmark can report the failure
        print(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}))
        sys.exit(1)

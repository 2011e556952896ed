#!/usr/bin/env python3
"""`landq firewall` against mockhub's GET /meta: each format lists exactly the world's
meta.hooks ranges, loopback, and the --allow ranges (the operator's proxy and monitoring); the nftables output passes `nft -c -f` where nft can run, and the terraform
output passes `terraform fmt -check` where terraform is installed.
usage: firewall.py LANDQ MOCKHUB"""
import json, os, shutil, subprocess, sys, tempfile, time

landq, mockhub = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="lq-fw-")
ranges = ["192.30.252.0/22", "185.199.108.0/22", "140.82.112.0/20", "2a0a:a440::/29"]
world = {"users": [{"login": "alice", "token": "tok-alice"}],
         "orgs": [{"login": "acme", "members": ["alice"]}],
         "repos": [{"full_name": "acme/mono", "files": {"README": "x\n"}}],
         "meta": {"hooks": ranges}}
with open(f"{tmp}/world.json", "w") as f:
    json.dump(world, f)
mh = subprocess.Popen([mockhub, "serve", "--world", f"{tmp}/world.json", "--listen", "127.0.0.1:0",
                       "--port-file", f"{tmp}/port", "--state-dir", f"{tmp}/state"],
                      stderr=open(f"{tmp}/mockhub.log", "w"))
failures = []
try:
    # until mockhub wrote its port or exited: no deadline of ours (meson's timeout bounds it)
    while mh.poll() is None and not (os.path.exists(f"{tmp}/port") and
                                     open(f"{tmp}/port").read().strip()):
        time.sleep(0.05)
    if not os.path.exists(f"{tmp}/port") or not open(f"{tmp}/port").read().strip():
        raise SystemExit("mockhub did not start:\n" + open(f"{tmp}/mockhub.log").read())
    port = open(f"{tmp}/port").read().strip()
    api = f"http://127.0.0.1:{port}"

    def run(*args):
        return subprocess.run([landq, "firewall", *args], capture_output=True, text=True)

    for fmt in ("nftables", "gcloud", "terraform"):
        r = run("--format", fmt, "--github-api", api, "--port", "9443", "--allow", "10.20.0.0/16",
                "--allow", "fd12::/16", "--ops-port", "9090")
        if r.returncode != 0:
            failures.append(f"{fmt}: exit {r.returncode}: {r.stderr}")
            continue
        for cidr in ranges + ["10.20.0.0/16", "fd12::/16"]:
            if cidr not in r.stdout:
                failures.append(f"{fmt}: range {cidr} missing")
        if ('iif "lo" accept' if fmt == "nftables" else "127.0.0.0/8") not in r.stdout:
            failures.append(f"{fmt}: loopback is not admitted")
        if "10.0.0.0" in r.stdout:
            failures.append(f"{fmt}: unexpected range")
        with open(f"{tmp}/out.{fmt}", "w") as f:
            f.write(r.stdout)
        print(f"ok {fmt}: {len(r.stdout.splitlines())} lines")

    nft = shutil.which("nft") or ("/usr/sbin/nft" if os.path.exists("/usr/sbin/nft") else None)
    if nft:
        c = subprocess.run([nft, "-c", "-f", f"{tmp}/out.nftables"], capture_output=True, text=True)
        if c.returncode == 0:
            print("ok nft -c -f")
        elif "Operation not permitted" in c.stderr or "Permission denied" in c.stderr:
            print("skip nft -c: not permitted here")
        else:
            failures.append(f"nft -c -f rejected the ruleset: {c.stderr}")
    else:
        print("skip nft -c: nft not installed")
    tf = shutil.which("terraform")
    if tf:
        os.makedirs(f"{tmp}/tf", exist_ok=True)
        shutil.copy(f"{tmp}/out.terraform", f"{tmp}/tf/firewall.tf")
        c = subprocess.run([tf, "fmt", "-check", f"{tmp}/tf"], capture_output=True, text=True)
        if c.returncode != 0:
            failures.append(f"terraform fmt -check: {c.stdout}{c.stderr}")
        else:
            print("ok terraform fmt -check")
    else:
        print("skip terraform fmt: terraform not installed")

    # Errors: bad format is a usage error; an unreachable API is exit 1 with a message.
    r = run("--format", "iptables", "--github-api", api)
    if r.returncode != 2 or "iptables" not in r.stderr:
        failures.append(f"bad format: exit {r.returncode}, stderr {r.stderr!r}")
    r = run("--format", "nftables", "--github-api", api, "--allow", "10.0.0.0/33")
    if r.returncode != 2 or "--allow" not in r.stderr:
        failures.append(f"bad --allow: exit {r.returncode}, stderr {r.stderr!r}")
    r = run("--format", "nftables", "--github-api", "http://127.0.0.1:1")
    if r.returncode != 1 or "meta" not in r.stderr:
        failures.append(f"unreachable API: exit {r.returncode}, stderr {r.stderr!r}")
finally:
    mh.terminate()
    mh.wait(timeout=10)
if failures:
    print("\n".join(failures))
    print("--- mockhub log tail");
    print("".join(open(f"{tmp}/mockhub.log").readlines()[-20:]))
    sys.exit(1)
shutil.rmtree(tmp, ignore_errors=True)

#!/usr/bin/python3
"""Captures the golden NTP packets in this folder from real chronyd and NTPsec ntpd.

Run as root from the repository root with the system python (NTPsec's ntpdig needs it):
    /usr/bin/python3 Tests/NTPWireTests/Fixtures/capture.py [OUTDIR]
Needs chronyd, tshark, iproute2 and NTPsec unpacked at .deps/ntpsec (scripts/deps.sh).

Safety: every chronyd runs with -x (never touches the clock) and binds loopback only; ntpd
runs inside a network namespace created here, has no servers configured, `disable ntp` and
`disable kernel`, and is stopped after the capture; the namespace is deleted at the end.
NTPsec 1.2.2's ntpd still initialises the kernel PLL state at start-up (ntp_adjtime with
MOD_BITS: it cleared STA_UNSYNC and set STA_PLL on the first run of this script) even with
`disable kernel`, so it runs without CAP_SYS_TIME (setpriv), which makes that call fail
with EPERM. The kernel's adjtimex state is read (modes = 0) before and after and compared.
Processes are stopped by their own pids only.
"""
import ctypes, os, random, shutil, socket, struct, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../../.."))
OUT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(__file__))
NTPSEC = os.path.join(ROOT, ".deps/ntpsec")
NS = "wirecap"
PORT_SERVER, PORT_RELAY, PORT_B, PORT_V6 = 31623, 31624, 31625, 31626
work = tempfile.mkdtemp(prefix="wirecap.")
procs = []
notes = []  # (file, how)


class Timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("rest", ctypes.c_byte * 200)]


def kernel_time_state():
    t = Timex()
    t.modes = 0  # read only
    ctypes.CDLL("libc.so.6").adjtimex(ctypes.byref(t))
    return (t.status, t.freq, t.offset)


def start(cmd, **kw):
    p = subprocess.Popen(cmd, stdout=open(os.path.join(work, f"log{len(procs)}"), "w"),
                         stderr=subprocess.STDOUT, **kw)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def save(name, data, how):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    notes.append((name, len(data), how))
    print(f"{name}: {len(data)} bytes", file=sys.stderr)


def request(version, mode=3):
    # A minimal client request as ntpdig/SNTP clients send it: only the transmit time set.
    xmt = struct.pack(">II", 0xEC000000 + random.randrange(1 << 24), random.randrange(1 << 32))
    return bytes([version << 3 | mode]) + bytes(39) + xmt


def ask(addr, data, family=socket.AF_INET, timeout=3.0):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    s.sendto(data, addr)
    try:
        return s.recvfrom(2048)[0]
    finally:
        s.close()


def relay_one(listen_port, upstream, client_cmd, timeout=10.0):
    """Runs client_cmd against a relay on listen_port; returns (first request, its reply)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", listen_port))
    s.settimeout(timeout)
    client = start(client_cmd)
    try:
        req, peer = s.recvfrom(2048)
        reply = ask(upstream, req)
        s.sendto(reply, peer)
        return req, reply
    finally:
        s.close()
        stop(client)


def write_conf(name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


before = kernel_time_state()
random.seed(5905)
try:
    # --- chrony, on the host's loopback -------------------------------------------------
    md5_key = "HEX:" + "11" * 20
    sha1_key = "HEX:" + "22" * 20
    keys = write_conf("chrony.keys", f"1 MD5 {md5_key}\n2 SHA1 {sha1_key}\n")
    client_keys = write_conf("chrony-client.keys", f"1 MD5 {md5_key}\n2 SHA1 {sha1_key}\n3 MD5 HEX:{'33' * 20}\n")
    server_conf = write_conf("server.conf", f"""port {PORT_SERVER}
bindaddress 127.0.0.1
bindaddress ::1
cmdport 0
bindcmdaddress /
local stratum 3
allow 127.0.0.1
allow ::1
keyfile {keys}
pidfile {work}/server.pid
""")
    srv = start(["chronyd", "-x", "-d", "-u", "root", "-f", server_conf])
    time.sleep(1.5)
    up = ("127.0.0.1", PORT_SERVER)
    for v in (4, 3, 2, 1):
        rep = ask(up, request(v))
        save(f"chrony-server-v{v}-reply.bin", rep,
             f"chronyd 4.3 (`chronyd -x -d -f server.conf`: local stratum 3, port {PORT_SERVER}) reply "
             f"to a 48-byte NTPv{v} mode-3 request (only the transmit time set) sent by capture.py over 127.0.0.1")

    chrony_q = ["chronyd", "-Q", "-t", "6", "-u", "root"]
    req, rep = relay_one(PORT_RELAY, up, chrony_q + [f"server 127.0.0.1 port {PORT_RELAY} iburst"])
    save("chrony-client-request.bin", req,
         f"request sent by `chronyd -Q -t 6 'server 127.0.0.1 port {PORT_RELAY} iburst'`, received by capture.py's relay")
    save("chrony-server-reply-to-chrony.bin", rep, "chronyd server's reply to chrony-client-request.bin, through the relay")

    for key, name in ((1, "md5"), (2, "sha1")):
        req, rep = relay_one(PORT_RELAY, up, chrony_q + [f"server 127.0.0.1 port {PORT_RELAY} iburst key {key}", f"keyfile {client_keys}"])
        save(f"chrony-client-request-{name}-mac.bin", req,
             f"`chronyd -Q -t 6 'server 127.0.0.1 port {PORT_RELAY} iburst key {key}' 'keyfile chrony-client.keys'` request "
             f"(key {key}: {name.upper()}, secret {('11' if key == 1 else '22') * 20} hex)")
        save(f"chrony-server-reply-{name}-mac.bin", rep,
             f"chronyd server's reply to chrony-client-request-{name}-mac.bin (server keyfile has the same key {key})")
    try:  # chronyd 4.3 does not answer a request with an unknown key (no crypto-NAK)
        relay_one(PORT_RELAY, up, chrony_q + [f"server 127.0.0.1 port {PORT_RELAY} iburst key 3", f"keyfile {client_keys}"])
        print("chronyd answered an unknown key", file=sys.stderr)
    except (socket.timeout, TimeoutError):
        print("chronyd did not answer an unknown key", file=sys.stderr)

    req, rep = relay_one(PORT_RELAY, up, chrony_q + [f"server 127.0.0.1 port {PORT_RELAY} iburst extfield F323"])
    save("chrony-client-request-ef-f323.bin", req,
         f"`chronyd -Q -t 6 'server 127.0.0.1 port {PORT_RELAY} iburst extfield F323'` request (experimental extension field 0xF323)")
    save("chrony-server-reply-ef-f323.bin", rep, "chronyd server's reply to chrony-client-request-ef-f323.bin")

    # chronyd B synchronised (in its own software clock, -x) to the server over [::1]: its
    # reference ID is then the IPv6 hash of ::1.
    b_conf = write_conf("b.conf", f"""port {PORT_B}
bindaddress 127.0.0.1
cmdport 0
bindcmdaddress /
server ::1 port {PORT_SERVER} iburst minpoll -3 maxpoll -3
allow 127.0.0.1
pidfile {work}/b.pid
""")
    b = start(["chronyd", "-x", "-d", "-u", "root", "-f", b_conf])
    got = None
    for _ in range(60):
        time.sleep(0.5)
        try:
            rep = ask(("127.0.0.1", PORT_B), request(4), timeout=1)
        except socket.timeout:
            continue
        if rep[1] != 0 and rep[1] != 16:
            got = rep
            break
    stop(b)
    if got:
        save("chrony-stratum4-refid-ipv6-reply.bin", got,
             f"reply of a second `chronyd -x` (port {PORT_B}) synchronised to the server over [::1]:{PORT_SERVER}; "
             "its reference ID is the RFC 5905 hash of ::1")
    else:
        print("chronyd B did not synchronise; no IPv6 refid fixture", file=sys.stderr)
    stop(srv)

    # --- NTPsec ntpd and ntpdig, inside a network namespace --------------------------------
    subprocess.run(["ip", "netns", "add", NS], check=True)
    subprocess.run(["ip", "netns", "exec", NS, "ip", "link", "set", "lo", "up"], check=True)
    ntp_keys = write_conf("ntp.keys", f"1 MD5 {'11' * 20}\n2 SHA1 {'22' * 20}\n3 MD5 {'33' * 20}\n")
    ntp_conf = write_conf("ntp.conf", f"""# no servers: this ntpd never disciplines anything
disable ntp
disable kernel
keys {ntp_keys}
trustedkey 1 2
""")
    pcap = os.path.join(work, "ntpsec.pcap")
    nsx = ["ip", "netns", "exec", NS]
    tshark = start(nsx + ["tshark", "-i", "lo", "-f", "udp port 123", "-w", pcap])
    time.sleep(2)
    nocap = ["setpriv", "--inh-caps=-sys_time", "--bounding-set=-sys_time"]
    capeff = subprocess.run(nocap + ["grep", "CapEff", "/proc/self/status"], capture_output=True, text=True, check=True).stdout
    assert not int(capeff.split()[1], 16) & (1 << 25), "CAP_SYS_TIME not dropped"
    ntpd = start(nsx + nocap + [os.path.join(NTPSEC, "usr/sbin/ntpd"), "-n", "-c", ntp_conf, "-p", os.path.join(work, "ntpd.pid")])
    time.sleep(3)
    ntpdig = ["/usr/bin/python3", os.path.join(NTPSEC, "usr/bin/ntpdig"), "-t", "2"]
    steps = [
        ("ntpdig", ntpdig + ["127.0.0.1"]),
        ("ntpdig-md5", ntpdig + ["-k", ntp_keys, "-a", "1", "127.0.0.1"]),
        ("ntpdig-sha1", ntpdig + ["-k", ntp_keys, "-a", "2", "127.0.0.1"]),
        ("ntpdig-untrusted-key", ntpdig + ["-k", ntp_keys, "-a", "3", "127.0.0.1"]),
        ("chronyd-q", ["chronyd", "-Q", "-t", "4", "-u", "root", "server 127.0.0.1 iburst maxsamples 1"]),
    ]
    for label, cmd in steps:
        r = subprocess.run(nsx + cmd, capture_output=True, text=True, timeout=15)
        print(label, r.returncode, r.stdout.strip()[:120], r.stderr.strip()[:200], file=sys.stderr)
        time.sleep(0.3)
    for v in (3, 2, 1):
        code = ("import socket,sys;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(2);"
                f"s.sendto(bytes.fromhex('{request(v).hex()}'),('127.0.0.1',123));print(s.recvfrom(2048)[0].hex())")
        r = subprocess.run(nsx + ["/usr/bin/python3", "-c", code], capture_output=True, text=True, timeout=10)
        print(f"v{v}", r.returncode, r.stderr.strip()[:200], file=sys.stderr)
    time.sleep(1)
    stop(ntpd)
    stop(tshark)
    out = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.number", "-e", "udp.srcport",
                          "-e", "udp.dstport", "-e", "udp.payload"], capture_output=True, text=True, check=True).stdout
    with open(os.path.join(work, "ntpsec-frames.txt"), "w") as f:
        f.write(out)
    print(out, file=sys.stderr)
    frames = [line.split("\t") for line in out.splitlines()]
    by_client = {}  # client port -> [request, reply...] in capture order
    for _, src, dst, payload in frames:
        client = dst if src == "123" else src
        by_client.setdefault(client, []).append((src == "123", bytes.fromhex(payload)))
    exchanges = list(by_client.values())
    how = ("NTPsec 1.2.2 ntpd (`ntpd -n -c ntp.conf`, no servers, in netns wirecap, keys 1 MD5 and 2 SHA1 "
           "trusted) on 127.0.0.1:123; captured with `tshark -i lo -f 'udp port 123'` in the namespace; ")
    names = [("ntpdig", "`ntpdig -t 2 127.0.0.1`"),
             ("ntpdig-md5-mac", "`ntpdig -t 2 -k ntp.keys -a 1 127.0.0.1` (key 1 MD5, secret 11*20 hex)"),
             ("ntpdig-sha1-mac", "`ntpdig -t 2 -k ntp.keys -a 2 127.0.0.1` (key 2 SHA1, secret 22*20 hex)"),
             ("ntpdig-untrusted-key", "`ntpdig -t 2 -k ntp.keys -a 3 127.0.0.1` (key 3 not trusted by ntpd)"),
             ("chrony", "`chronyd -Q -t 4 'server 127.0.0.1 iburst maxsamples 1'`")]
    for (label, cmd), ex in zip(names, exchanges):
        reqs = [p for is_reply, p in ex if not is_reply]
        reps = [p for is_reply, p in ex if is_reply]
        save(f"{label}-request.bin", reqs[0], how + "request sent by " + cmd)
        if reps:
            save(f"ntpsec-reply-to-{label}.bin", reps[0], how + "ntpd's reply to " + cmd)
    for v in (3, 2, 1):
        ex = next((e for e in exchanges if not e[0][0] and (e[0][1][0] >> 3) & 7 == v), [])
        reps = [p for is_reply, p in ex if is_reply]
        if reps:
            save(f"ntpsec-v{v}-reply.bin", reps[0], how + f"ntpd's reply to a 48-byte NTPv{v} mode-3 request from capture.py")
finally:
    for p in procs:
        stop(p)
    subprocess.run(["ip", "netns", "del", NS], stderr=subprocess.DEVNULL)
    after = kernel_time_state()
    print("kernel time state before", before, "after", after, file=sys.stderr)
    with open(os.path.join(OUT, "capture-notes.txt"), "w") as f:
        for name, n, how in notes:
            f.write(f"{name}\t{n}\t{how}\n")
    print("work dir:", work, file=sys.stderr)

#!/usr/bin/python3
"""Writes the golden texts in this folder with NTPsec 1.2.2's own ntpq formatting code
(ntp.util.PeerSummary, ntp.util.cook, ntp.util.PeerStatusWord, ntp.ntpc.statustoa and
prettydate), fed with the mode 6 values of the scenario below, which are what ntpsh's
PeerVariableTable/SystemVariableTable send for the reports NTPShellTests builds (a test checks
that). Run with the system python, which has NTPsec's `ntp` package:
    /usr/bin/python3 Tests/NTPShellTests/Fixtures/golden.py
"""
import os, sys, time
import ntp.util, ntp.ntpc, ntp.control

OUT = os.path.dirname(os.path.abspath(__file__))
NOW = 1795262400.0  # 2026-11-21T12:00:00Z, the tests' `now`
time.time = lambda: NOW


def lfp(unix):
    """0x%08x.%08x of a Unix time, rounded to the nanosecond first, as ntpsh's NTPTimestamp does."""
    ns = int(round(unix * 10)) * 100_000_000  # the scenario's times are whole tenths of a second
    sec, nsec = divmod(ns, 1_000_000_000)
    frac = ((nsec << 32) + 500_000_000) // 1_000_000_000
    return "0x%08x.%08x" % ((sec + 2208988800) & 0xffffffff, frac)


def raw(pairs):
    """(name, wire) pairs -> ntpq's parsed (value, rawvalue) dict, as packet.py builds it."""
    items = []
    for key, value in pairs:
        try:
            cast = int(value, 0)
        except ValueError:
            try:
                cast = float(value)
            except ValueError:
                if value[:1] == '"' and value[-1:] == '"':
                    value = value[1:-1]
                cast = value
        items.append((key, (cast, value)))
    return ntp.util.OrderedDict(items)


ZERO = "0x00000000.00000000"
FILT = (" 1.23 1.25 1.30 1.24 1.40 1.22 1.31 1.27", " -0.46 -0.44 -0.50 -0.41 -0.47 -0.45 -0.43 -0.48",
        " 0.00 0.97 1.94 2.91 3.88 4.85 5.82 6.79")

# (associd, status word, variables) for each association, in the order the tests build them.
PEERS = [
    (20487, 0x961a, [("srcadr", "192.0.2.10"), ("srcport", "123"), ("dstadr", "0.0.0.0"), ("dstport", "0"),
                     ("leap", "0"), ("stratum", "2"), ("precision", "-23"), ("rootdelay", "12.207"), ("rootdisp", "23.438"),
                     ("refid", "192.0.2.1"), ("reftime", lfp(NOW - 300)), ("rec", lfp(NOW - 37.4)), ("reach", "0xff"),
                     ("unreach", "0"), ("hmode", "3"), ("pmode", "4"), ("hpoll", "6"), ("ppoll", "6"), ("headway", "0"),
                     ("flash", "0x0"), ("keyid", "0"), ("offset", "-0.456000"), ("delay", "1.234000"),
                     ("dispersion", "0.938000"), ("jitter", "0.089000"),
                     ("filtdelay", FILT[0]), ("filtoffset", FILT[1]), ("filtdisp", FILT[2])]),
    (20488, 0x9014, [("srcadr", "127.127.1.0"), ("srcport", "123"), ("srchost", '"LOCAL(0)"'), ("dstadr", "0.0.0.0"),
                     ("dstport", "0"), ("leap", "0"), ("stratum", "10"), ("precision", "-20"), ("rootdelay", "0.000"),
                     ("rootdisp", "0.000"), ("refid", "LOCL"), ("reftime", ZERO), ("rec", ZERO), ("reach", "0xf"),
                     ("unreach", "0"), ("hmode", "3"), ("pmode", "0"), ("hpoll", "6"), ("ppoll", "6"), ("headway", "0"),
                     ("flash", "0x0"), ("keyid", "0"), ("offset", "0.000000"), ("delay", "0.000000"),
                     ("dispersion", "0.000000"), ("jitter", "0.000000")]),
    (20489, 0x9424, [("srcadr", "198.51.100.7"), ("srcport", "123"), ("srchost", '"ntp.example.net"'),
                     ("dstadr", "0.0.0.0"), ("dstport", "0"), ("leap", "0"), ("stratum", "3"), ("precision", "-20"),
                     ("rootdelay", "30.518"), ("rootdisp", "45.776"), ("refid", "203.0.113.9"), ("reftime", lfp(NOW - 4000)),
                     ("rec", lfp(NOW - 3000.2)), ("reach", "0xf"), ("unreach", "0"), ("hmode", "3"), ("pmode", "4"),
                     ("hpoll", "10"), ("ppoll", "10"), ("headway", "0"), ("flash", "0x0"), ("keyid", "0"),
                     ("offset", "12.345678"), ("delay", "25.000500"), ("dispersion", "3.100000"),
                     ("jitter", "1234.567890")]),
    (20490, 0x8011, [("srcadr", "0.0.0.0"), ("srcport", "123"), ("srchost", '"2.pool.ntp.org"'), ("dstadr", "0.0.0.0"),
                     ("dstport", "0"), ("leap", "3"), ("stratum", "16"), ("precision", "-20"), ("rootdelay", "0.000"),
                     ("rootdisp", "0.000"), ("refid", "POOL"), ("reftime", ZERO), ("rec", ZERO), ("reach", "0x0"),
                     ("unreach", "0"), ("hmode", "3"), ("pmode", "0"), ("hpoll", "6"), ("ppoll", "6"), ("headway", "0"),
                     ("flash", "0x0"), ("keyid", "0"), ("offset", "0.000000"), ("delay", "0.000000"),
                     ("dispersion", "16000.000000"), ("jitter", "0.000000")]),
    (20491, 0x8000, [("srcadr", "2001:db8::123"), ("srcport", "123"), ("dstadr", "0.0.0.0"), ("dstport", "0"),
                     ("leap", "3"), ("stratum", "16"), ("precision", "-20"), ("rootdelay", "0.000"), ("rootdisp", "0.000"),
                     ("refid", "INIT"), ("reftime", ZERO), ("rec", ZERO), ("reach", "0x0"), ("unreach", "3"),
                     ("hmode", "3"), ("pmode", "0"), ("hpoll", "6"), ("ppoll", "6"), ("headway", "0"), ("flash", "0x0"),
                     ("keyid", "0"), ("offset", "-12345.678900"), ("delay", "123456.000000"),
                     ("dispersion", "16000.000000"), ("jitter", "0.000000")]),
]

SYSTEM_STATUS = 0x0615
SYSTEM = [("leap", "0"), ("stratum", "3"), ("precision", "-23"), ("rootdelay", "13.441"), ("rootdisp", "25.313"),
          ("rootdist", "32.040"), ("refid", "192.0.2.10"), ("reftime", lfp(NOW - 37.4)), ("tc", "6"), ("peer", "20487"),
          ("offset", "-0.456000"), ("frequency", "-12.345678"), ("sys_jitter", "0.123000"), ("clk_jitter", "0.123000"),
          ("clock", lfp(NOW)), ("processor", '"x86_64"'), ("system", '"Linux/6.1.0"'), ("version", '"ntpsh 0.1"'),
          ("clk_wander", "0.004000"), ("mintc", "3")]
SYSINFO_EXTRA = [("peeradr", "192.0.2.10:123"), ("peermode", "3")]


def write(name, text):
    with open(os.path.join(OUT, name), "w") as f:
        f.write(text)


def peers(showhostnames, width, wide=False):
    s = ntp.util.PeerSummary("peers", ntp.magic.NTP_OLDVERSION + 1, showhostnames, wide, termwidth=width)
    text = s.header() + "\n" + "=" * s.width() + "\n"
    for assoc, status, variables in PEERS:
        text += s.summary(status << 0, raw(variables), assoc)
    return text


# ntpq passes the peer's status word as rstatus to summary(); CTL_PEER_STATVAL takes its high byte.
write("peers.txt", peers(1, 80))
write("peers-n.txt", peers(0, 80))
write("peers-w100.txt", peers(1, 100))
write("peers-w120-wide.txt", peers(1, 120, wide=True))

text = "\nind assid status  conf reach auth condition  last_event cnt\n" + "=" * 59 + "\n"
for i, (assoc, status, _) in enumerate(PEERS):
    sw = ntp.util.PeerStatusWord(status)
    text += "%3d %5u  %04x   %3.3s  %4s  %4.4s %9.9s %11s %2lu\n" % (
        i + 1, assoc, status, sw.conf, sw.reach, sw.auth, sw.condition, sw.last_event, sw.event_count)
write("associations.txt", text)


def rv(associd, status, variables, width=80, quiet=False):
    ntp.util.termsize = lambda: ntp.util.TermSize(width, 24)
    text = ""
    if not quiet:
        kind = ntp.ntpc.TYPE_SYS if associd == 0 else ntp.ntpc.TYPE_PEER
        text = "associd=%d " % associd + "status=%04x %s,\n" % (status, ntp.ntpc.statustoa(kind, status))
    return text + ntp.util.cook(raw(variables), False).replace("'", '"')


write("rv.txt", rv(0, SYSTEM_STATUS, SYSTEM))
write("rv-w120.txt", rv(0, SYSTEM_STATUS, SYSTEM, width=120))
write("rv-select.txt", rv(0, SYSTEM_STATUS, [v for v in SYSTEM if v[0] in ("offset", "frequency", "stratum", "refid")],
                          quiet=True))
write("rv-peer.txt", rv(PEERS[0][0], PEERS[0][1], PEERS[0][2]))

ntp.util.termsize = lambda: ntp.util.TermSize(80, 24)
legend = dict((n, l) for n, l in [
    ("peeradr", "system peer:      "), ("peermode", "system peer mode: "), ("leap", "leap indicator:   "),
    ("stratum", "stratum:          "), ("precision", "log2 precision:   "), ("rootdelay", "root delay:       "),
    ("rootdisp", "root dispersion:  "), ("rootdist", "root distance     "), ("refid", "reference ID:     "),
    ("reftime", "reference time:   "), ("sys_jitter", "system jitter:    "), ("clk_jitter", "clock jitter:     "),
    ("clk_wander", "clock wander:     ")])
q = raw(SYSINFO_EXTRA + SYSTEM)
text = "associd=0 status=%04x %s,\n" % (SYSTEM_STATUS, ntp.ntpc.statustoa(ntp.ntpc.TYPE_SYS, SYSTEM_STATUS))
for name in legend:
    value = q[name][0]
    if name == "peeradr":
        text += "%13s %13s\n" % (legend[name], value)  # showhostnames off: no DNS
    elif name == "peermode":
        text += "%s  %s\n" % (legend[name], ("unspec", "sym_active", "sym_passive", "client", "server")[value])
    elif name == "leap":
        text += "%13s %13s\n" % (legend[name], ("00", "01", "10", "11")[value])
    elif name == "reftime":
        text += "%13s %13s\n" % (legend[name], ntp.ntpc.prettydate(value))
    else:
        text += "%13s %13s\n" % (legend[name], value)
write("sysinfo.txt", text)
print("wrote goldens into", OUT)

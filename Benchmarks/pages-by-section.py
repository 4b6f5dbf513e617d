# Benchmarks/pages-by-section.py PID BINARY: resident pages of BINARY's mappings in process PID, by ELF
# section (from /proc/PID/pagemap; root). "anon": a copied-on-write page (relocated), "file": page cache.
import sys, struct, subprocess, re, collections
pid, binary = sys.argv[1], sys.argv[2]
secs = []
for line in subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True).stdout.splitlines():
    m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
    if m and int(m.group(2), 16):
        secs.append((int(m.group(2), 16), int(m.group(4), 16), m.group(1)))
maps = []
base = None
for line in open(f"/proc/{pid}/maps"):
    parts = line.split()
    if len(parts) >= 6 and parts[5].endswith(binary.split("/")[-1]):
        lo, hi = (int(x, 16) for x in parts[0].split("-"))
        if base is None: base = lo - int(parts[2], 16)
        maps.append((lo, hi, parts[1]))
count = collections.Counter(); total = collections.Counter()
with open(f"/proc/{pid}/pagemap", "rb") as pm:
    for lo, hi, perm in maps:
        pm.seek(lo // 4096 * 8)
        data = pm.read((hi - lo) // 4096 * 8)
        for i in range(0, len(data), 8):
            e = struct.unpack("<Q", data[i:i+8])[0]
            va = lo + i // 8 * 4096 - base
            name = "?"
            for a, s, n in secs:
                if a <= va < a + max(s, 1): name = n; break
                if a <= va + 4095 and va < a + s: name = n
            total[name] += 4
            if e >> 63: count[(name, "anon" if not (e >> 61) & 1 else "file")] += 4
for (n, k), v in sorted(count.items(), key=lambda x: -x[1]):
    print(f"{v:8d} kB {k:4s} {n} (of {total[n]} kB mapped)")
print(f"{sum(count.values()):8d} kB total")

// libFuzzer target for the NTP packet decoder. Built by scripts/fuzz.sh together with the
// NTPWire sources into one module (no import), with -sanitize=fuzzer,address.
//
// For every input: the layout scan and the full decoder must agree on accepting it (and on
// the error); an accepted packet must validate, re-encode to exactly the input, decode again
// to the same value, and match the layout's counts and offsets. Any disagreement traps, which
// libFuzzer reports as a crash.

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func wireFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)

    let layout: Result<NTPPacketLayout, NTPWireError>
    do throws(NTPWireError) { layout = .success(try NTPPacketLayout.scan(bytes)) } catch { layout = .failure(error) }
    let packet: Result<NTPPacket, NTPWireError>
    do throws(NTPWireError) { packet = .success(try NTPPacket(decoding: bytes)) } catch { packet = .failure(error) }

    switch (layout, packet) {
    case (.failure(let a), .failure(let b)):
        require(a == b, "scan and decoder disagree on the error: \(a) vs \(b)")
        return 0
    case (.success, .failure(let e)), (.failure(let e), .success):
        fail("scan and decoder disagree on acceptance: \(e)")
    case (.success(let l), .success(let p)):
        check(bytes, l, p)
    }
    return 0
}

private func check(_ bytes: UnsafeRawBufferPointer, _ l: NTPPacketLayout, _ p: NTPPacket) {
    // Exact round trip.
    let encoded = p.encode()
    require(encoded.count == bytes.count && encoded.elementsEqual(bytes), "encode(decode(x)) != x")
    require(p.encodedLength == bytes.count)
    do throws(NTPWireError) { try p.validate() } catch { fail("decoded packet fails validate: \(error)") }
    require((try? NTPPacket(decoding: encoded)) == p, "decode(encode(p)) != p")

    // Layout agrees with the packet.
    require(l.length == bytes.count)
    require(l.version == p.header.version && l.mode == p.header.mode)
    require(l.extensionFieldCount == p.extensionFields.count)
    require(l.macLength == (p.mac?.length ?? 0))
    require(l.keyID == p.mac?.keyID)
    require(l.macOffset + l.macLength == bytes.count)
    var offset = NTPHeader.size
    var index = 0
    for slice in l.extensionFields(in: bytes) {
        let field = p.extensionFields[index]
        require(slice.offset == offset && slice.length == field.length && slice.fieldType == field.fieldType)
        require(field.length >= 16 && field.length % 4 == 0)
        require(bytes[slice.valueRange].elementsEqual(field.value))
        offset += slice.length
        index += 1
    }
    require(index == p.extensionFields.count && offset == l.macOffset)
    if case .mac(_, let digest)? = p.mac {
        require(digest.count == 16 || digest.count == 20)
        require(l.digestRange.map { bytes[$0].elementsEqual(digest) } ?? false)
    }

    // The value types built from untrusted fields must not trap either.
    let h = p.header
    _ = h.kissCode?.description
    _ = h.referenceID.description
    _ = h.poll.seconds + h.precision.seconds + h.rootDelay.seconds + h.rootDispersion.seconds
    _ = h.rootDelay.nanoseconds
    let pivot = UnixTime(nanoseconds: Int64(truncatingIfNeeded: h.referenceTime.rawValue) >> 2)  // ±146 years of 1970
    let t = h.transmitTime.unixTime(near: pivot)
    // A fraction → ns → fraction trip may move by up to half a nanosecond (2 units of 2⁻³² s);
    // an ns → timestamp → ns trip is exact.
    let back = NTPTimestamp(t)
    require((back - h.transmitTime).rawValue.magnitude <= 3, "timestamp → UnixTime → timestamp")
    require(back.unixTime(near: pivot) == t, "UnixTime → timestamp → UnixTime")
    _ = (h.transmitTime - h.originTime).nanoseconds
}

/// `precondition` that also says what failed in -O builds, where the message would be dropped.
private func require(_ condition: Bool, _ message: @autoclosure () -> String = "", line: UInt = #line) {
    if !condition { fail(message(), line: line) }
}

private func fail(_ message: String, line: UInt = #line) -> Never {
    let text = "WireFuzz.swift:\(line): check failed \(message)\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    fatalError()
}

import Foundation
import Testing
@testable import NTPWire

/// The golden packets in Fixtures/ (see Fixtures/FIXTURES.md for how each was captured).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    static var names: [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return all.filter { $0.hasSuffix(".bin") }.sorted()
    }

    static func bytes(_ name: String) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else {
            Issue.record("missing fixture \(name)")
            return []
        }
        return [UInt8](data)
    }
}

@Suite struct FixtureTests {
    @Test func thereAreFixtures() {
        #expect(Fixtures.names.count >= 20)
    }

    @Test(arguments: Fixtures.names)
    func roundTripIsExact(name: String) throws {
        let bytes = Fixtures.bytes(name)
        let packet = try NTPPacket(decoding: bytes)
        #expect(packet.encode() == bytes)
        #expect(packet.encodedLength == bytes.count)
        try packet.validate()
        let layout = try NTPPacketLayout.scan(bytes)
        #expect(layout.length == bytes.count)
        #expect(layout.extensionFieldCount == packet.extensionFields.count)
        #expect(layout.macLength == (packet.mac?.length ?? 0))
        #expect(layout.keyID == packet.mac?.keyID)
        #expect(try NTPHeader(decoding: bytes) == packet.header)
        #expect(packet.header.bytes == Array(bytes.prefix(48)))
    }

    @Test(arguments: [1, 2, 3, 4])
    func chronyRepliesInTheRequestsVersion(version: Int) throws {
        let p = try NTPPacket(decoding: Fixtures.bytes("chrony-server-v\(version)-reply.bin"))
        #expect(p.header.version == UInt8(version))
        #expect(p.header.mode == .server)
        #expect(p.header.stratum == 3)
        #expect(p.header.leap == .noWarning)
        #expect(p.header.referenceID == ReferenceID(ipv4: 127, 127, 1, 1))  // chrony's `local`
        #expect(p.header.kissCode == nil)
        #expect(p.extensionFields.isEmpty && p.mac == nil)
        #expect(!p.header.receiveTime.isZero && !p.header.transmitTime.isZero)
        // Captured in 2026, era 0.
        let t = p.header.transmitTime.unixTime(near: UnixTime(seconds: 1_780_000_000, nanoseconds: 0))
        #expect(t.secondsAndNanoseconds.seconds > 1_700_000_000 && t.secondsAndNanoseconds.seconds < 1_900_000_000)
    }

    @Test(arguments: [1, 2, 3])
    func ntpsecRepliesToOldVersions(version: Int) throws {
        let p = try NTPPacket(decoding: Fixtures.bytes("ntpsec-v\(version)-reply.bin"))
        #expect(p.header.version == UInt8(version))
        #expect(p.header.mode == .server)
    }

    @Test func ntpsecUnsynchronisedReplyIsAnINITKiss() throws {
        let p = try NTPPacket(decoding: Fixtures.bytes("ntpsec-reply-to-ntpdig.bin"))
        #expect(p.header.leap == .unsynchronized)
        #expect(p.header.stratum == 0)
        #expect(p.header.kissCode == .INIT)
        #expect(p.header.referenceID.description == ".INIT.")
        let request = try NTPPacket(decoding: Fixtures.bytes("ntpdig-request.bin"))
        #expect(request.header.mode == .client && request.header.version == 4)
        #expect(request.header.kissCode == nil)
        // The reply echoes the request's transmit time as its origin time.
        #expect(p.header.originTime == request.header.transmitTime)
    }

    @Test(arguments: [("md5", 1, 16), ("sha1", 2, 20)])
    func macsFromBothImplementations(kind: String, keyID: Int, digestLength: Int) throws {
        for name in ["chrony-client-request-\(kind)-mac.bin", "chrony-server-reply-\(kind)-mac.bin",
                     "ntpdig-\(kind)-mac-request.bin", "ntpsec-reply-to-ntpdig-\(kind)-mac.bin"] {
            let p = try NTPPacket(decoding: Fixtures.bytes(name))
            guard case .mac(let id, let digest) = p.mac else {
                Issue.record("\(name): no MAC"); continue
            }
            #expect(id == UInt32(keyID), "\(name)")
            #expect(digest.count == digestLength, "\(name)")
            #expect(p.extensionFields.isEmpty, "\(name)")
            let layout = try NTPPacketLayout.scan(Fixtures.bytes(name))
            #expect(layout.macOffset == 48 && layout.hasDigest && layout.digestRange == 52 ..< (52 + digestLength))
        }
    }

    @Test func chronyExperimentalExtensionField() throws {
        for name in ["chrony-client-request-ef-f323.bin", "chrony-server-reply-ef-f323.bin"] {
            let bytes = Fixtures.bytes(name)
            let p = try NTPPacket(decoding: bytes)
            #expect(p.extensionFields.count == 1)
            #expect(p.extensionFields.first?.fieldType == 0xF323)
            #expect(p.extensionFields.first?.length == 28)
            #expect(p.mac == nil)
            let layout = try NTPPacketLayout.scan(bytes)
            let slices = bytes.withUnsafeBytes { Array(layout.extensionFields(in: $0)) }
            #expect(slices == [ExtensionFieldSlice(fieldType: 0xF323, offset: 48, length: 28)])
        }
    }

    @Test func chronyClientRequest() throws {
        let p = try NTPPacket(decoding: Fixtures.bytes("chrony-client-request.bin"))
        #expect(p.header.mode == .client && p.header.version == 4)
        #expect(p.header.leap == .noWarning)
        #expect(p.header.stratum == 0)
        #expect(p.header.poll == PollExponent(6))
        #expect(p.header.precision == PollExponent(32))  // chrony's request: precision 0x20
        // chrony hides its receive/transmit times from the server: origin and receive zero.
        #expect(p.header.originTime.isZero && p.header.receiveTime.isZero)
        #expect(!p.header.transmitTime.isZero)
    }

    @Test func ipv6ReferenceIDFromChrony() throws {
        // A chronyd synchronised to a server on [::1] reports the RFC 5905 hash of ::1.
        let p = try NTPPacket(decoding: Fixtures.bytes("chrony-stratum4-refid-ipv6-reply.bin"))
        #expect(p.header.stratum == 4)
        let loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]
        #expect(p.header.referenceID == ReferenceID(ipv6: loopback))
        #expect(p.header.referenceID.rawValue == 0xCF40_4DC8)
    }
}

import NTPEngine
import Testing

@Suite("keys file (ntp.keys(5))")
struct KeyFileTests {
    @Test("ASCII up to 20 characters, hex beyond, chrony's HEX:/ASCII:, comments, types in any case")
    func parses() {
        let text = """
            # ntpkeygen output, abridged
            1 MD5 abcdefghij        # ASCII
            2 sha1 0123456789abcdef0123456789abcdef01234567
            3 AES128CMAC 000102030405060708090a0b0c0d0e0f
            4 aes HEX:000102030405060708090A0B0C0D0E0F
            5 SHA1 ASCII:a#b

            """
        let parsed = KeyFile.parse(text, file: "k")
        #expect(parsed.errors == [])
        #expect(parsed.keys.map(\.id) == [1, 2, 3, 4, 5])
        #expect(parsed.keys[0].secret == Array("abcdefghij".utf8))
        #expect(parsed.keys[1].algorithm == .sha1)
        #expect(parsed.keys[1].secret.count == 20)
        #expect(parsed.keys[2].algorithm == .aes128CMAC)
        #expect(parsed.keys[2].secret == Array(0...15))
        #expect(parsed.keys[3].secret == Array(0...15))
        #expect(parsed.keys[4].secret == Array("a".utf8), "# starts a comment")
        let crlf = KeyFile.parse("1 MD5 one\r\n2 SHA1 two\r\n", file: "k")
        #expect(crlf.keys.map(\.secret) == [Array("one".utf8), Array("two".utf8)], "CRLF line ends")
    }

    @Test("bad lines are named by FILE:LINE and the rest is kept; short AES keys are padded with a note")
    func errors() {
        let text = "0 MD5 x\n70000 MD5 x\n6 ROT13 x\n7 MD5\n8 MD5 0123456789abcdef0123456789abcdefXY\n9 AES short\n10 MD5 fine\n"
        let parsed = KeyFile.parse(text, file: "/etc/ntp.keys")
        #expect(parsed.keys.map(\.id) == [9, 10])
        #expect(parsed.keys[0].secret == Array("short".utf8) + [UInt8](repeating: 0, count: 11))
        #expect(parsed.errors.count == 5)
        // What was expected, never the file's words (a keys file is secret).
        #expect(parsed.errors[0] == "/etc/ntp.keys:1: expected a key id 1-65535")
        #expect(parsed.errors[2].hasPrefix("/etc/ntp.keys:3: key 6: expected a type (MD5"))
        #expect(!parsed.errors.joined().contains("ROT13") && !parsed.errors.joined().contains("XY"))
        #expect(parsed.errors[3] == "/etc/ntp.keys:4: expected KEYID TYPE KEY")
        #expect(parsed.notes == ["/etc/ntp.keys:6: key 9: AES128CMAC needs 16 bytes; zero-padded from 5"])
    }
}

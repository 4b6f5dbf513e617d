/// A kiss-o'-death code (RFC 5905 §7.4): the ASCII reference ID of a stratum-0 packet.
public enum KissCode: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The association belongs to a unicast server.
    case ACST
    /// Server authentication failed.
    case AUTH
    /// Autokey sequence failed.
    case AUTO
    /// The association belongs to a broadcast server.
    case BCST
    /// Cryptographic authentication or identification failed.
    case CRYP
    /// Access denied by remote server.
    case DENY
    /// Lost peer in symmetric mode.
    case DROP
    /// Access denied due to local policy.
    case RSTR
    /// The association has not yet synchronised for the first time.
    case INIT
    /// The association belongs to a dynamically discovered server.
    case MCST
    /// No key found: the key is unknown or not trusted.
    case NKEY
    /// NTS negative acknowledgement: the cookie was not valid (RFC 8915 §5.7).
    case NTSN
    /// Rate exceeded: the server has temporarily denied access because the client exceeded
    /// the rate threshold.
    case RATE
    /// Alteration of association from a remote host running ntpdc.
    case RMOT
    /// A step change in system time has occurred, but the association has not yet resynchronised.
    case STEP
    /// Any other code, kept as it came.
    case other(ReferenceID)

    /// The codes RFC 5905 (and RFC 8915 for NTSN) name, in the RFC's order.
    public static let known: [KissCode] = [
        .ACST, .AUTH, .AUTO, .BCST, .CRYP, .DENY, .DROP, .RSTR, .INIT, .MCST, .NKEY, .NTSN,
        .RATE, .RMOT, .STEP,
    ]

    /// The code a reference ID carries; unknown values become ``other(_:)``.
    public init(_ referenceID: ReferenceID) {
        switch referenceID.rawValue {
        case Self.ACST.referenceID.rawValue: self = .ACST
        case Self.AUTH.referenceID.rawValue: self = .AUTH
        case Self.AUTO.referenceID.rawValue: self = .AUTO
        case Self.BCST.referenceID.rawValue: self = .BCST
        case Self.CRYP.referenceID.rawValue: self = .CRYP
        case Self.DENY.referenceID.rawValue: self = .DENY
        case Self.DROP.referenceID.rawValue: self = .DROP
        case Self.RSTR.referenceID.rawValue: self = .RSTR
        case Self.INIT.referenceID.rawValue: self = .INIT
        case Self.MCST.referenceID.rawValue: self = .MCST
        case Self.NKEY.referenceID.rawValue: self = .NKEY
        case Self.NTSN.referenceID.rawValue: self = .NTSN
        case Self.RATE.referenceID.rawValue: self = .RATE
        case Self.RMOT.referenceID.rawValue: self = .RMOT
        case Self.STEP.referenceID.rawValue: self = .STEP
        default: self = .other(referenceID)
        }
    }

    /// The reference ID that carries this code.
    public var referenceID: ReferenceID {
        switch self {
        case .ACST: ReferenceID(rawValue: 0x4143_5354)
        case .AUTH: ReferenceID(rawValue: 0x4155_5448)
        case .AUTO: ReferenceID(rawValue: 0x4155_544F)
        case .BCST: ReferenceID(rawValue: 0x4243_5354)
        case .CRYP: ReferenceID(rawValue: 0x4352_5950)
        case .DENY: ReferenceID(rawValue: 0x4445_4E59)
        case .DROP: ReferenceID(rawValue: 0x4452_4F50)
        case .RSTR: ReferenceID(rawValue: 0x5253_5452)
        case .INIT: ReferenceID(rawValue: 0x494E_4954)
        case .MCST: ReferenceID(rawValue: 0x4D43_5354)
        case .NKEY: ReferenceID(rawValue: 0x4E4B_4559)
        case .NTSN: ReferenceID(rawValue: 0x4E54_534E)
        case .RATE: ReferenceID(rawValue: 0x5241_5445)
        case .RMOT: ReferenceID(rawValue: 0x524D_4F54)
        case .STEP: ReferenceID(rawValue: 0x5354_4550)
        case .other(let id): id
        }
    }

    /// Whether a client must stop sending to this server (DENY, RSTR) or slow down (RATE), the
    /// codes RFC 5905 §7.4 says a client acts on.
    public var isActionable: Bool {
        switch self {
        case .DENY, .RSTR, .RATE: true
        default: false
        }
    }

    /// The four characters, as ntpq shows them in the refid column without the dots.
    public var description: String { referenceID.asciiText ?? referenceID.dottedQuad }
}

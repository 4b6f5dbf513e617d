import NTPEngine
public import NTPWire
import CommandGrammar

/// `plot`: a time series drawn in the terminal. With Unicode, each character cell holds a 2×4
/// grid of braille dots, so a 70-column chart has 140 points across and 4 per row up; in plain
/// ASCII (output not a terminal) each cell is one point, drawn `*`. The y axis is labelled at
/// the top, middle and bottom, the x axis with the first and last sample's time (UTC, the
/// engine's clock: lab time in a lab).
public enum PlotView {
    public struct Series: Sendable, Equatable {
        /// What is plotted, e.g. `offset of 10.0.0.1`.
        public var title: String
        /// The unit the values are in, e.g. `ms`.
        public var unit: String
        public var points: [(time: UnixTime, value: Double)]
        /// `last 10m`, when the plot is of a window.
        public var window: String?

        public init(title: String, unit: String, points: [(time: UnixTime, value: Double)], window: String? = nil) {
            self.title = title; self.unit = unit; self.points = points; self.window = window
        }

        public static func == (a: Series, b: Series) -> Bool {
            a.title == b.title && a.unit == b.unit && a.window == b.window && a.points.elementsEqual(b.points) { $0.time == $1.time && $0.value == $1.value }
        }
    }

    /// Rows of the chart area.
    public static let height = 12
    static let labelWidth = 10

    public static func render(_ series: Series, width: Int, unicode: Bool) -> String {
        guard let first = series.points.first, let last = series.points.last else {
            return "\(series.title)" + (series.window.map { ", \($0)" } ?? "") + ": no samples yet (the engine records one per clock update and per reply)\n"
        }
        let values = series.points.map(\.value)
        var low = values.min() ?? 0, high = values.max() ?? 0
        if high - low < 1e-12 {
            let pad = max(abs(high) * 0.1, 1e-3)
            low -= pad; high += pad
        }
        let columns = max(10, width - labelWidth - 2)
        let xDots = unicode ? columns * 2 : columns
        let yDots = unicode ? height * 4 : height
        let span = max(1e-9, last.time - first.time)

        // Dot coordinates, then a line between neighbours so the series reads as a curve.
        var grid = [[Bool]](repeating: [Bool](repeating: false, count: xDots), count: yDots)
        func dot(_ p: (time: UnixTime, value: Double)) -> (Int, Int) {
            let x = series.points.count == 1 ? xDots / 2 : Int(((p.time - first.time) / span * Double(xDots - 1)).rounded())
            let y = Int(((high - p.value) / (high - low) * Double(yDots - 1)).rounded())
            return (min(max(x, 0), xDots - 1), min(max(y, 0), yDots - 1))
        }
        var previous: (Int, Int)?
        for p in series.points {
            let (x, y) = dot(p)
            grid[y][x] = true
            if unicode, let (px, py) = previous, x == px {
                for fill in min(py, y)...max(py, y) { grid[fill][x] = true }
            } else if unicode, let (px, py) = previous, x > px {
                // A straight line to the previous point: each column gets the span its part covers.
                var lastY = py
                for xx in (px + 1)...x {
                    let yy = py + Int((Double(y - py) * Double(xx - px) / Double(x - px)).rounded())
                    for fill in min(lastY, yy)...max(lastY, yy) { grid[fill][abs(fill - lastY) < abs(fill - yy) ? xx - 1 : xx] = true }
                    lastY = yy
                }
            }
            previous = (x, y)
        }

        let middle = (high + low) / 2
        let places = digits(range: high - low)
        func label(_ v: Double) -> String { formatFixed(v, places) }
        var out = "\(series.title) (\(series.unit))" + (series.window.map { ", \($0)" } ?? "")
            + ": \(series.points.count) sample\(series.points.count == 1 ? "" : "s")"
            + ", min \(label(values.min() ?? low)) max \(label(values.max() ?? high))\n"

        for row in 0..<height {
            var line = ""
            if row == 0 { line = pad(label(high)) + (unicode ? " ┤" : " +") }
            else if row == height / 2 { line = pad(label(middle)) + (unicode ? " ┤" : " +") }
            else if row == height - 1 { line = pad(label(low)) + (unicode ? " ┤" : " +") }
            else { line = String(repeating: " ", count: labelWidth) + (unicode ? " │" : " |") }
            for column in 0..<columns {
                if unicode {
                    var bits: UInt32 = 0
                    for dy in 0..<4 {
                        for dx in 0..<2 where grid[row * 4 + dy][column * 2 + dx] {
                            bits |= Self.brailleBit(dx, dy)
                        }
                    }
                    line.unicodeScalars.append(Unicode.Scalar(0x2800 + bits)!)
                } else {
                    line += grid[row][column] ? "*" : " "
                }
            }
            while line.hasSuffix(" ") || line.hasSuffix("\u{2800}") { line.removeLast() }
            out += line + "\n"
        }
        out += String(repeating: " ", count: labelWidth) + (unicode ? " └" : " +")
            + String(repeating: unicode ? "─" : "-", count: columns) + "\n"
        let start = formatUTC(first.time), end = formatUTC(last.time)
        // The time line is as wide as the chart (labelWidth + 2 + columns = width).
        let gap = max(1, columns + 1 - start.count - end.count)
        out += String(repeating: " ", count: labelWidth + 1) + start + String(repeating: " ", count: gap) + end + "\n"
        return out
    }

    /// The braille bit of dot (dx, dy) in a cell (dots 1–8 of U+2800).
    static func brailleBit(_ dx: Int, _ dy: Int) -> UInt32 {
        switch (dx, dy) {
        case (0, 3): 0x40
        case (1, 3): 0x80
        case (0, _): 1 << UInt32(dy)
        default: 8 << UInt32(dy)
        }
    }

    static func pad(_ s: String) -> String {
        String(repeating: " ", count: max(0, labelWidth - s.count)) + s
    }

    /// Decimals enough to tell the chart's rows apart: three significant digits of its range.
    static func digits(range: Double) -> Int {
        guard range > 0, range.isFinite else { return 3 }
        var exponent = 0  // floor(log10(range))
        var r = range
        while r >= 10 { r /= 10; exponent += 1 }
        while r < 1 { r *= 10; exponent -= 1 }
        return min(7, max(0, 2 - exponent))
    }
}

extension CommandRunner {
    /// `plot offset|frequency|jitter|delay [ASSOC] [last DURATION] [json]`.
    func plot(_ a: Arguments, json: Bool) -> Output {
        let quantity = a.string("quantity") ?? "offset"
        let history = admin.sampleHistory()
        let now = admin.systemReport().now
        let window = a.double("last")
        func recent(_ t: UnixTime) -> Bool { window.map { now - t <= $0 } ?? true }
        var series: PlotView.Series
        if let which = a.string("assoc") {
            guard quantity != "frequency" else { return .failure("plot frequency is the system's; it takes no association") }
            let peers = admin.peerReports()
            guard let peer = peers.first(where: { String($0.id.rawValue) == which || $0.host == which || $0.address?.ip.description == which }) else {
                return .failure("no association \(which) (peers lists them)")
            }
            let samples = history.peers.elements.filter { $0.id == peer.id && recent($0.time) }
            let value: (PeerSample) -> Double = switch quantity {
            case "delay": { $0.delay }
            case "jitter": { $0.jitter }
            default: { $0.offset }
            }
            series = PlotView.Series(title: "\(quantity) of \(peer.host)", unit: "ms",
                                     points: samples.map { ($0.time, value($0) * 1000) })
        } else if quantity == "delay" {
            // Without an association: the system peer's delay at each of its samples.
            guard let peer = admin.systemReport().systemPeer else { return .failure("plot delay: no system peer; name an association") }
            let samples = history.peers.elements.filter { $0.id == peer.id && recent($0.time) }
            series = PlotView.Series(title: "delay of \(peer.host) (system peer)", unit: "ms",
                                     points: samples.map { ($0.time, $0.delay * 1000) })
        } else {
            let samples = history.loop.elements.filter { recent($0.time) }
            switch quantity {
            case "frequency":
                series = PlotView.Series(title: "frequency correction", unit: "ppm", points: samples.map { ($0.time, $0.frequency) })
            case "jitter":
                series = PlotView.Series(title: "clock jitter", unit: "ms", points: samples.map { ($0.time, $0.jitter * 1000) })
            default:
                series = PlotView.Series(title: "clock offset", unit: "ms", points: samples.map { ($0.time, $0.offset * 1000) })
            }
        }
        series.window = window.map { "last \(formatDuration($0))" }
        if json {
            return Output(text: JSONValue.object([
                ("title", .string(series.title)), ("unit", .string(series.unit)),
                ("window", series.window.map { .string($0) } ?? .null),
                ("points", .array(series.points.map { .array([.string(formatUTC($0.time)), .double($0.value)]) })),
            ]).rendered() + "\n")
        }
        return Output(text: PlotView.render(series, width: terminalWidth, unicode: unicodeCharts))
    }
}

// The Prometheus endpoint's commands: `metrics listen`, `no metrics`, `show metrics`. Each
// declaration carries its syntax, handler and attributes; the handlers follow.
import CommandGrammar
import NTPAdmin
import NTPEngine
import NTPMetrics
import NTPWire

enum MetricsCommands {
    @CommandBuilder static var directives: [GrammarDeclaration] {
        Command("metrics listen", help: "Serve Prometheus metrics at http://ENDPOINT/metrics (PORT alone: on 127.0.0.1)", id: "metrics-listen",
                .directive, identity: .single("metrics"), run: { $0.metrics($1) }) {
            Argument(.word, name: "ENDPOINT", help: "PORT, ADDRESS:PORT or [IPv6]:PORT (e.g. 9975, 192.0.2.1:9975, [::1]:9975)", key: "endpoint")
        }
        Command("no metrics", help: "Stop serving metrics", id: "no-metrics", .directive, identity: .single("metrics"),
                run: { $0.metrics($1) })
    }

    @CommandBuilder static var views: [GrammarDeclaration] {
        Command("show metrics", help: "The Prometheus metrics /metrics serves (text exposition format)", id: "show-metrics", .report,
                run: { $0.showMetrics($1) })
    }
}

extension CommandRunner {
    /// `show metrics`: the node's `metrics` answer, rendered as /metrics renders it. Asked as a
    /// request that may fail: an engine older than protocol version 7 has no `metrics` call.
    func showMetrics(_ i: Invocation) -> Output {
        do throws(AdminError) {
            guard case .metrics(let snapshot) = try admin.perform(.query(.metrics)) else { return .failure("the engine sent no metrics") }
            return Output(text: PrometheusText.render(snapshot))
        } catch {
            return .failure(error.description)
        }
    }

    /// `metrics listen ENDPOINT` (PORT alone: on 127.0.0.1, loopback unless an address is given);
    /// `no metrics` (no endpoint). The engine's endpoint follows at once.
    func metrics(_ i: Invocation) -> Output {
        var address: SocketAddress?
        if let endpoint = i.arguments.string("endpoint") {
            if let port = UInt16(endpoint), port > 0 {
                address = SocketAddress(ip: IPAddress.loopbackIPv4, port: port)
            } else if endpoint.contains(":"), let parsed = SocketAddress(parsing: endpoint, defaultPort: 0), parsed.port > 0 {
                address = parsed
            } else {
                return .failure("metrics listen: '\(endpoint)' is not PORT, ADDRESS:PORT or [IPv6]:PORT")
            }
        }
        do {
            let note = try admin.setMetrics(address)
            if address != nil { record(i) } else { forget(i) }
            return Output(text: note)
        } catch {
            return .failure(error.description)
        }
    }
}

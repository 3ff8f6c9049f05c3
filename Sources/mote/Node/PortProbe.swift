import Foundation
import MoteNode

/// Checks on TCP ports, for commands that start listeners (`mote node`, `mote devnet`).
enum PortProbe {
    /// Whether another socket holds `host:port`: binds a throw-away socket there (with
    /// `SO_REUSEADDR`, as the node's listeners do, so a port in TIME_WAIT does not count) and
    /// reports `EADDRINUSE`. Any other failure (an address that is not IPv4 or a name, a port out
    /// of range) says nothing and returns false.
    static func isInUse(host: String, port: Int) -> Bool {
        guard (1...65_535).contains(port) else { return false }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let name = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, name, &address.sin_addr) == 1 else { return false }
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc != 0 && errno == EADDRINUSE
    }

    /// Whether something accepts TCP connections on `host:port` (IPv4; a wildcard listen
    /// address is tried on loopback). One blocking `connect`: meant for local listeners.
    static func accepts(host: String, port: Int) -> Bool {
        guard (1...65_535).contains(port) else { return false }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let name = host == "localhost" || host == "0.0.0.0" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, name, &address.sin_addr) == 1 else { return false }
        #if os(Linux)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return rc == 0
    }

    /// The listeners of a node's config that another socket holds, as `p2p 127.0.0.1:30300`.
    static func busyListeners(of config: NodeConfig) -> [String] {
        var listeners = [("p2p", config.p2pListen)]
        if config.rpcEnabled { listeners += [("rpc", config.rpcListen), ("ws", config.wsListen)] }
        if config.streamEnabled { listeners.append(("stream", config.streamListen)) }
        return listeners.filter { isInUse(host: $0.1.host, port: $0.1.port) }.map { "\($0.0) \($0.1.host):\($0.1.port)" }
    }
}

import Foundation

/// Where the PostgreSQL store connects: host, port, user, password and database, or a
/// `postgres://user:password@host:port/database` URL. No TLS: use loopback or a private network.
public struct PostgresStoreConfiguration: Equatable, Sendable {
    /// The server's host name or address.
    public var host: String
    /// The server's TCP port (5432 by default).
    public var port: Int
    /// The role the store logs in as.
    public var user: String
    /// The role's password; nil for trust or peer authentication.
    public var password: String?
    /// The database; nil for the server's default (the user's name).
    public var database: String?
    /// The most connections the store's pool opens.
    public var maximumConnections: Int

    public init(
        host: String = "127.0.0.1", port: Int = 5432, user: String, password: String? = nil, database: String? = nil,
        maximumConnections: Int = 20
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.maximumConnections = maximumConnections
    }

    /// Reads `postgres://user[:password]@host[:port][/database]` (or `postgresql://`);
    /// percent-escapes are decoded.
    public init(url: String) throws(TelemetryStoreError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
            scheme == "postgres" || scheme == "postgresql"
        else {
            throw TelemetryStoreError("not a postgres:// URL: \(Self.redacted(url))")
        }
        guard let host = components.host, !host.isEmpty else {
            throw TelemetryStoreError("the PostgreSQL URL names no host: \(Self.redacted(url))")
        }
        guard let user = components.user, !user.isEmpty else {
            throw TelemetryStoreError("the PostgreSQL URL names no user: \(Self.redacted(url))")
        }
        let database = String(components.path.drop { $0 == "/" })
        self.init(
            host: host, port: components.port ?? 5432, user: user, password: components.password,
            database: database.isEmpty ? nil : database)
    }

    /// `url` without its password, for error messages.
    private static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? "(unreadable URL)"
    }
}

import MoteStreamStore
import Testing

/// Reading the PostgreSQL store's URL form.
@Suite struct PostgresStoreConfigurationTests {
    @Test func readsEveryPart() throws {
        let configuration = try PostgresStoreConfiguration(url: "postgres://mote:s%40cret@db.local:6543/telemetry")
        #expect(
            configuration
                == PostgresStoreConfiguration(host: "db.local", port: 6543, user: "mote", password: "s@cret", database: "telemetry"))
    }

    @Test func portPasswordAndDatabaseAreOptional() throws {
        let configuration = try PostgresStoreConfiguration(url: "postgresql://mote@127.0.0.1")
        #expect(configuration == PostgresStoreConfiguration(host: "127.0.0.1", port: 5432, user: "mote"))
    }

    @Test(arguments: ["mysql://mote@host/db", "postgres://host/db", "postgres://mote@/db", "not a url"])
    func refusesWhatItCannotUse(url: String) {
        #expect(throws: TelemetryStoreError.self) { try PostgresStoreConfiguration(url: url) }
    }

    @Test func errorsDoNotShowThePassword() {
        do {
            _ = try PostgresStoreConfiguration(url: "mysql://mote:hunter2@host/db")
            Issue.record("expected an error")
        } catch {
            #expect(!error.description.contains("hunter2"))
        }
    }
}

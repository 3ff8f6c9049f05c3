import Foundation
import Testing

/// `mote project …`, `mote rewards devices` and `mote debug post-result`: mistakes caught
/// before any node is asked. The commands against a devnet are exercised end to end in
/// tests/e2e/test_machinefi.py.
@Suite struct ProjectCommandTests {
    @Test func argumentErrorsWithoutANode() throws {
        let box = try Sandbox()
        let nowhere = ["--rpc", "http://127.0.0.1:1"]
        let keyFile = try box.file("key", "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
        let applet = try box.file("applet.wasm", "not really wasm")
        let device = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
        let create = ["project", "create", "--name", "steps", "--reward", "1", "--key-file", keyFile]
        let cases: [([String], String)] = [
            (create + ["--applet", box.root.path + "/none.wasm"], "cannot read --applet"),
            (create + ["--applet", applet, "--params", "0xzz"], "invalid --params"),
            (create + ["--applet", applet, "--params", "0x01", "--params-u64", "5"], "give --params or --params-u64, not both"),
            (["project", "create", "--name", "", "--reward", "1", "--applet", applet, "--key-file", keyFile], "--name is 1 to 64 bytes"),
            (create + ["--applet", applet, "--pool", "lots"], "invalid --pool lots"),
            (["project", "fund", "1", "--amount", "three", "--key-file", keyFile], "invalid --amount three"),
            (["project", "join", "1", "--device", "0x12", "--key-file", keyFile], "invalid --device id"),
            (["project", "poster", "1", "--device", "0x12", "--poster", device, "--key-file", keyFile], "invalid --device id"),
            (["project", "poster", "1", "--device", device, "--poster", "bob", "--key-file", keyFile], "invalid --poster address"),
            (["project", "bond", "show", "bob"], "invalid operator address"),
            (["project", "challenge", "--result", "1", "--stream", "ftp://x", "--key-file", keyFile], "invalid --stream ftp://x"),
            (["rewards", "devices", "--owner", "0xabc"], "invalid --owner address"),
            (["debug", "post-result", "--project", "1", "--device", device, "--window", "1", "--result", "0xzz", "--key-file", keyFile],
             "invalid --result"),
            (["debug", "post-result", "--project", "1", "--device", device, "--window", "1", "--result", "0x01", "--root", "0x12",
              "--key-file", keyFile], "invalid --root: 32 bytes of hex"),
        ]
        for (arguments, message) in cases {
            let run = try box.mote(arguments + nowhere)
            #expect(run.status == 1, "\(arguments): \(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("cannot reach"), "\(arguments) asked the node: \(run.stderr)")
        }
        // Without a node, a command that must ask one says so.
        let show = try box.mote(["project", "show", "1"] + nowhere)
        #expect(show.status == 1 && show.stderr.contains("cannot reach"), "\(show.stderr)")
    }
}

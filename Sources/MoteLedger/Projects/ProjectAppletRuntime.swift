import MoteApplet
import MotePrimitives

/// How one deterministic run of an applet ended.
public enum ProjectAppletRun: Sendable, Equatable {
    /// It wrote `result` (exit 0).
    case result([UInt8], fuelUsed: UInt64)
    /// It used up the fuel it was given.
    case outOfFuel
    /// It failed for another reason (trap, exit code, no result, too large a result...).
    case failed(String)
}

/// The applet engine the ProjectRegistry checks code with and re-runs applets in: a seam so
/// the contract's rules can be tested on their own. Implementations must be deterministic:
/// same code, messages, params and fuel ⇒ same run on every node.
public protocol ProjectAppletRuntime: Sendable {
    /// Nil when `code` is a valid applet, else why not.
    func validationError(code: [UInt8]) -> String?
    /// Runs `code` on `messages` with at most `fuel` fuel.
    func run(code: [UInt8], messages: [AppletMessage], params: [UInt8], fuel: UInt64) -> ProjectAppletRun
}

/// The node's runtime: WasmKit through `MoteApplet`, with the standard limits except time
/// (consensus runs are bounded by fuel alone, so every node decides alike).
public struct WasmAppletRuntime: ProjectAppletRuntime {
    public init() {}

    public func validationError(code: [UInt8]) -> String? {
        do throws(AppletError) {
            _ = try Applet(code: code, maxCodeBytes: ProjectRegistryContract.maxAppletBytes)
            return nil
        } catch {
            return error.description
        }
    }

    public func run(code: [UInt8], messages: [AppletMessage], params: [UInt8], fuel: UInt64) -> ProjectAppletRun {
        var limits = AppletLimits.standard
        limits.fuel = fuel
        limits.timeout = nil
        do throws(AppletError) {
            let applet = try Applet(code: code, maxCodeBytes: ProjectRegistryContract.maxAppletBytes)
            let outcome = try applet.run(messages: messages, params: params, limits: limits)
            return .result(outcome.result, fuelUsed: outcome.fuelUsed)
        } catch {
            return error.code == .outOfFuel ? .outOfFuel : .failed(error.description)
        }
    }
}

// Tests of the Swift bindings: a reset through ports implemented in Swift, failing ports,
// registration on the built-in ports, a reset on the SQLite stores, changing a password and
// the help desk, bad input. Run with `swift test` (see README.md).
import Foundation
import XCTest
@testable import Sspr

let t0: UInt64 = 1_750_000_000

final class SwiftRecords: FlowStore, SecurityInfoStore, @unchecked Sendable {
    private var records: [String: StoredRecord] = [:]
    private let lock = NSLock()

    func load(flowId: String) throws -> StoredRecord? {
        lock.lock(); defer { lock.unlock() }
        return records[flowId]
    }

    func save(flowId: String, data: String, expectedVersion: UInt64, expiresAt: UInt64) throws {
        try save(user: flowId, data: data, expectedVersion: expectedVersion)
    }

    func load(user: String) throws -> StoredRecord? {
        try load(flowId: user)
    }

    func save(user: String, data: String, expectedVersion: UInt64) throws {
        lock.lock(); defer { lock.unlock() }
        let current = records[user]?.version ?? 0
        guard current == expectedVersion else {
            throw PortException.Conflict(detail: "version \(current), expected \(expectedVersion)")
        }
        records[user] = StoredRecord(data: data, version: expectedVersion + 1)
    }

    func delete(flowId: String) throws {
        lock.lock(); defer { lock.unlock() }
        records.removeValue(forKey: flowId)
    }
}

final class SwiftNotifier: Notifier, @unchecked Sendable {
    private let lock = NSLock()
    var sent: [Message] = []
    var failing = false

    func deliver(message: Message) throws {
        lock.lock(); defer { lock.unlock() }
        if failing { throw PortException.Unavailable(detail: "relay down") }
        sent.append(message)
    }
}

final class SsprTests: XCTestCase {
    func settings() -> EngineSettings {
        EngineSettings(
            keys: [SigningKey(id: "k1", key: Data(repeating: 7, count: 32))],
            identityKey: Data(repeating: 8, count: 32),
            issuer: "Contoso",
            hashParams: hashParamsInsecureForTests(),
            breachFailClosed: false,
            clientLimit: nil,
            countryBudget: nil,
            decoys: decoySettingsDefault()
        )
    }

    func user(_ id: String, _ name: String) -> DirectoryUser {
        DirectoryUser(id: id, username: name, firstName: "Ann", lastName: "Lee", orgName: "Contoso", groups: [], admin: false)
    }

    func testResetThroughSwiftStoresAndNotifier() throws {
        let mem = MemoryPorts.forTests(now: t0, seed: 1, captchaToken: "pass")
        mem.addUser(user: user("u1", "ann@contoso.example"), password: "Old-Password-1")
        let notifier = SwiftNotifier()
        let records = SwiftRecords()
        let ports = mem.ports().withNotifier(notifier: notifier).withFlows(store: records).withSecurityInfo(store: SwiftRecords())
        let policy = try Policy.fromToml(text: "[reset]\nmethods = [\"email\", \"mobile_phone\"]\n")
        let engine = try Engine(policy: policy, ports: ports, settings: settings())
        try engine.importSecurityInfo(userId: "u1", import: SecurityInfoImport(
            email: "ann.home@fabrikam.example", mobile: nil, office: nil, questions: [:], app: nil, confirmedAt: nil))

        let start = try engine.startReset(identifier: "ann@contoso.example", captcha: "pass", client: nil)
        let flow = try XCTUnwrap(start.view).flowId
        XCTAssertEqual(start.view?.options.map { $0.option }, [.email])
        _ = try engine.resetStep(flowId: flow, input: .choose(option: .email))
        let code = try XCTUnwrap(notifier.sent.first?.code)
        XCTAssertEqual(try engine.resetStep(flowId: flow, input: .enterCode(code: "00000000")).rejection, "code.mismatch")
        XCTAssertEqual(try engine.resetStep(flowId: flow, input: .enterCode(code: code)).view?.state, "new_password")
        let done = try engine.resetStep(flowId: flow, input: .newPassword(password: "Granite-Orchid-Velvet-8", confirm: "Granite-Orchid-Velvet-8"))
        XCTAssertEqual(done.view?.state, "completed")
        XCTAssertTrue(mem.passwordMatches(userId: "u1", password: "Granite-Orchid-Velvet-8"))
    }

    func testAFailingSwiftPortIsATypedErrorAndTheFlowStays() throws {
        let mem = MemoryPorts.forTests(now: t0, seed: 2, captchaToken: "pass")
        mem.addUser(user: user("u1", "ann@contoso.example"), password: "Old-Password-1")
        let notifier = SwiftNotifier()
        let engine = try Engine(policy: Policy(), ports: mem.ports().withNotifier(notifier: notifier), settings: settings())
        try engine.importSecurityInfo(userId: "u1", import: SecurityInfoImport(
            email: "ann.home@fabrikam.example", mobile: nil, office: nil, questions: [:], app: nil, confirmedAt: nil))
        let flow = try XCTUnwrap(engine.startReset(identifier: "ann@contoso.example", captcha: "pass", client: nil).view).flowId
        notifier.failing = true
        XCTAssertThrowsError(try engine.resetStep(flowId: flow, input: .choose(option: .email))) { error in
            guard case SsprError.Port(let port, let kind, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(port, "notifier")
            XCTAssertEqual(kind, "unavailable")
        }
        XCTAssertEqual(try engine.resetView(flowId: flow).state, "choose_method")
        notifier.failing = false
        XCTAssertEqual(try engine.resetStep(flowId: flow, input: .choose(option: .email)).view?.state, "enter_code")
    }

    func testSwiftStoresPassTheStoreConformanceSuite() {
        final class Counters: CounterStore, @unchecked Sendable {
            private let lock = NSLock()
            private var windows: [String: (end: UInt64, count: UInt32)] = [:]
            private var blocks: [String: UInt64] = [:]
            private func state(_ key: String, _ now: UInt64) -> CounterState {
                let count = windows[key].flatMap { now < $0.end ? $0.count : nil } ?? 0
                let blocked = blocks[key].flatMap { $0 > now ? $0 : nil }
                return CounterState(count: count, blockedUntil: blocked)
            }
            func increment(key: String, now: UInt64, windowS: UInt64) throws -> CounterState {
                lock.lock(); defer { lock.unlock() }
                if let w = windows[key], now < w.end { windows[key] = (w.end, w.count + 1) } else { windows[key] = (now + windowS, 1) }
                return state(key, now)
            }
            func get(key: String, now: UInt64) throws -> CounterState {
                lock.lock(); defer { lock.unlock() }
                return state(key, now)
            }
            func release(key: String, now: UInt64) throws {
                lock.lock(); defer { lock.unlock() }
                if let w = windows[key], now < w.end, w.count > 0 { windows[key] = (w.end, w.count - 1) }
            }
            func block(key: String, until: UInt64) throws -> UInt64 {
                lock.lock(); defer { lock.unlock() }
                blocks[key] = max(until, blocks[key] ?? 0)
                return blocks[key]!
            }
            func clear(key: String) throws {
                lock.lock(); defer { lock.unlock() }
                windows.removeValue(forKey: key); blocks.removeValue(forKey: key)
            }
        }
        final class Once: ConsumeOnceSet, @unchecked Sendable {
            private let lock = NSLock()
            private var used = Set<String>()
            func consume(namespace: String, key: String, expiresAt: UInt64) throws -> Bool {
                lock.lock(); defer { lock.unlock() }
                return used.insert(namespace + "\u{0}" + key).inserted
            }
        }
        let checks = checkStores(flows: SwiftRecords(), securityInfo: SwiftRecords(), counters: Counters(), consumeOnce: Once(), namespace: "swift", threads: 8)
        XCTAssertFalse(checks.isEmpty)
        XCTAssertEqual(checks.filter { $0.failure != nil }.map { $0.name }, [])
    }

    func testAResetOnSQLiteIsCarriedOnBySecondEngine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("sspr.db").path
        let mem = MemoryPorts.forTests(now: t0, seed: 4, captchaToken: "pass")
        mem.addUser(user: user("u3", "cy@contoso.example"), password: "Old-Password-1")
        let store = StoreSettings(prefix: "sspr_", poolSize: 2, timeoutMs: 2000, auditCap: 100000)
        let policy = try Policy.fromToml(text: "[reset]\nmethods = [\"email\", \"mobile_phone\"]\n")
        let stores = try Stores.sqlite(path: path, settings: store, clockOf: mem.ports())
        XCTAssertEqual(try stores.schemaVersion(), 1)
        let first = try Engine(policy: policy, ports: stores.ports(base: mem.ports()), settings: settings())
        try first.importSecurityInfo(userId: "u3", import: SecurityInfoImport(
            email: "cy.home@fabrikam.example", mobile: nil, office: nil, questions: [:], app: nil, confirmedAt: nil))
        let flow = try XCTUnwrap(try first.startReset(identifier: "cy@contoso.example", captcha: "pass", client: nil).view).flowId
        _ = try first.resetStep(flowId: flow, input: .choose(option: .email))
        let other = try Stores.sqlite(path: path, settings: store, clockOf: mem.ports())
        let second = try Engine(policy: policy, ports: other.ports(base: mem.ports()), settings: settings())
        let code = try XCTUnwrap(mem.takeMessages().first?.code)
        XCTAssertEqual(try second.resetStep(flowId: flow, input: .enterCode(code: code)).view?.state, "new_password")
        XCTAssertEqual(stores.check(namespace: "swift", threads: 8).filter { $0.failure != nil }.map { $0.name }, [])
        var bad = store
        bad.prefix = "Bad-Prefix"
        XCTAssertThrowsError(try Stores.sqlite(path: path, settings: bad, clockOf: nil)) { error in
            guard case SsprError.Misuse = error else { return XCTFail("\(error)") }
        }
    }

    func testChangePasswordAndTheHelpDesk() throws {
        let mem = MemoryPorts.forTests(now: t0, seed: 5, captchaToken: "pass")
        mem.addUser(user: user("u1", "ann@contoso.example"), password: "Old-Password-1")
        mem.refusePassword(password: "Refused-Lantern-58")
        let policy = try Policy.fromJson(text: "{\"help_desk\": {\"contact\": \"helpdesk@contoso.example\"}}")
        let engine = try Engine(policy: Policy(), ports: mem.ports(), settings: settings())
        try engine.importSecurityInfo(userId: "u1", import: SecurityInfoImport(
            email: "ann.home@fabrikam.example", mobile: nil, office: nil, questions: [:], app: nil, confirmedAt: nil))
        XCTAssertEqual(try engine.replacePolicy(policy: policy, actor: "admin-1"), ["help_desk.contact"])

        let wrong = try engine.changePassword(username: "ann@contoso.example", old: "nope", new: "Quiet-Orchard-4417", confirm: "Quiet-Orchard-4417")
        XCTAssertEqual(wrong.rejection, "reauth.failed")
        let refused = try engine.changePassword(username: "ann@contoso.example", old: "Old-Password-1", new: "Refused-Lantern-58", confirm: "Refused-Lantern-58")
        XCTAssertEqual(refused.rejection, "password.refused")
        XCTAssertEqual(refused.helpDesk, "helpdesk@contoso.example")
        let changed = try engine.changePassword(username: "ann@contoso.example", old: "Old-Password-1", new: "Quiet-Orchard-4417", confirm: "Quiet-Orchard-4417")
        XCTAssertTrue(changed.changed)

        let temporary = try engine.resetPasswordByHelpDesk(userId: "u1", actor: "agent-7")
        XCTAssertTrue(temporary.mustChange)
        XCTAssertTrue(mem.mustChangePassword(userId: "u1"))
        XCTAssertTrue(mem.passwordMatches(userId: "u1", password: temporary.password))

        let pass = try engine.issueAccessPass(userId: "u1", actor: "agent-7", lifetimeS: 3600, oneTime: true)
        XCTAssertEqual(pass.expiresAt, t0 + 3600)
        let flow = try XCTUnwrap(engine.startRegistration(username: "ann@contoso.example", password: temporary.password).view)
        XCTAssertEqual(flow.state, "prove_identity")
        XCTAssertEqual(try engine.registrationStep(flowId: flow.flowId, input: .accessPass(pass: pass.pass)).view?.state, "registering")
    }

    func testBadInputGetsTypedErrors() throws {
        let mem = MemoryPorts.forTests(now: t0, seed: 3, captchaToken: "pass")
        let engine = try Engine(policy: Policy(), ports: mem.ports(), settings: settings())
        XCTAssertThrowsError(try engine.startReset(identifier: String(repeating: "x", count: 100_000), captcha: "pass", client: nil)) { error in
            guard case SsprError.Input = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Policy.fromJson(text: "{\"reset\": {\"methods_requried\": 2}}")) { error in
            guard case SsprError.Policy(let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "reset.methods_requried")
        }
        var short = settings()
        short.keys = [SigningKey(id: "k", key: Data(count: 4))]
        XCTAssertThrowsError(try Engine(policy: Policy(), ports: mem.ports(), settings: short)) { error in
            guard case SsprError.Misuse = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try totpCode(secretB32: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", t: 59, algorithm: .sha1, digits: 8, period: 30), "94287082")
    }
}

// Kotlin tests: every port implemented in Kotlin, the store conformance suite run against the
// Kotlin stores, failing and conflicting ports, bad input, and the database stores (SQLite in
// a file, PostgreSQL and Redis on throwaway servers). Prints `N passed, N failed`.
package dev.sspr.tests

import dev.sspr.*
import java.security.MessageDigest
import java.security.SecureRandom
import java.util.concurrent.ConcurrentHashMap

const val T0 = 1_750_000_000L

/** Versioned records with compare-and-set: flows and security info. */
class KotlinRecords : FlowStore, SecurityInfoStore {
    private val records = HashMap<String, StoredRecord>()

    @Synchronized override fun load(flowId: String): StoredRecord? = records[flowId]

    @Synchronized override fun save(flowId: String, data: String, expectedVersion: ULong, expiresAt: ULong) =
        save(flowId, data, expectedVersion)

    @Synchronized override fun save(user: String, data: String, expectedVersion: ULong) {
        val current = records[user]?.version ?: 0uL
        if (current != expectedVersion) throw PortException.Conflict("version $current, expected $expectedVersion")
        records[user] = StoredRecord(data, expectedVersion + 1uL)
    }

    @Synchronized override fun delete(flowId: String) {
        records.remove(flowId)
    }
}

/** A store that breaks compare-and-set: the last writer wins. The suite must catch it. */
class LastWriterWins : FlowStore, SecurityInfoStore {
    private val records = ConcurrentHashMap<String, StoredRecord>()
    override fun load(flowId: String): StoredRecord? = records[flowId]
    override fun save(flowId: String, data: String, expectedVersion: ULong, expiresAt: ULong) = save(flowId, data, expectedVersion)
    override fun save(user: String, data: String, expectedVersion: ULong) {
        records[user] = StoredRecord(data, expectedVersion + 1uL)
    }
    override fun delete(flowId: String) {
        records.remove(flowId)
    }
}

class KotlinCounters : CounterStore {
    private data class Window(val end: ULong, val count: UInt)
    private val windows = HashMap<String, Window>()
    private val blocks = HashMap<String, ULong>()

    private fun state(key: String, now: ULong) =
        CounterState(windows[key]?.takeIf { now < it.end }?.count ?: 0u, blocks[key]?.takeIf { it > now })

    @Synchronized override fun increment(key: String, now: ULong, windowS: ULong): CounterState {
        val w = windows[key]
        val next = if (w == null || now >= w.end) Window(now + windowS, 1u) else w.copy(count = w.count + 1u)
        windows[key] = next
        return state(key, now)
    }

    @Synchronized override fun get(key: String, now: ULong): CounterState = state(key, now)

    @Synchronized override fun release(key: String, now: ULong) {
        val w = windows[key] ?: return
        if (now < w.end && w.count > 0u) windows[key] = w.copy(count = w.count - 1u)
    }

    @Synchronized override fun block(key: String, until: ULong): ULong {
        val end = maxOf(until, blocks[key] ?: 0uL)
        blocks[key] = end
        return end
    }

    @Synchronized override fun clear(key: String) {
        windows.remove(key)
        blocks.remove(key)
    }
}

class KotlinConsumeOnce : ConsumeOnceSet {
    private val used = ConcurrentHashMap.newKeySet<Pair<String, String>>()
    override fun consume(namespace: String, key: String, expiresAt: ULong): Boolean = used.add(namespace to key)
}

class KotlinNotifier : Notifier {
    val sent = mutableListOf<Message>()
    var failWith: Exception? = null

    @Synchronized override fun deliver(message: Message) {
        failWith?.let { throw it }
        sent.add(message)
    }
}

fun sha256(s: String): String = MessageDigest.getInstance("SHA-256").digest(s.toByteArray()).joinToString("") { "%02x".format(it) }

/** A directory keeping salted SHA-256 of passwords (a real one would use its own scheme). */
class KotlinDirectory : Directory {
    val users = LinkedHashMap<String, DirectoryUser>()
    val passwords = HashMap<String, String>()
    val history = HashMap<String, MutableList<String>>()
    val appliedChanges = HashSet<String>()
    var revoked = 0

    fun add(user: DirectoryUser, password: String) {
        users[user.id] = user
        passwords[user.id] = sha256(user.id + password)
        history[user.id] = mutableListOf()
    }

    override fun findUser(identifier: String) = users.values.firstOrNull { it.username.equals(identifier, ignoreCase = true) }
    override fun user(id: String) = users[id]
    override fun administrators() = users.values.filter { it.admin }
    override fun checkPassword(id: String, password: String) = passwords[id] == sha256(id + password)

    @Synchronized override fun setPassword(id: String, change: PasswordChange) {
        if (!appliedChanges.add(change.changeId)) return
        passwords[id] = sha256(id + change.password)
        history.getOrPut(id) { mutableListOf() }.add(0, change.historyHash)
    }

    override fun passwordHistory(id: String, limit: UInt) = (history[id] ?: emptyList<String>()).take(limit.toInt())
    override fun unlock(id: String) {}
    override fun revokeSessions(id: String) { revoked++ }
}

class KotlinClock(var now: Long) : Clock {
    override fun now(): ULong = now.toULong()
}

class KotlinRandomness : Randomness {
    private val rng = SecureRandom()
    override fun bytes(len: UInt): ByteArray = ByteArray(len.toInt()).also(rng::nextBytes)
}

class KotlinCaptcha : CaptchaVerifier {
    override fun verify(response: String, client: String?) = response == "solved"
}

class KotlinAudit : AuditSink {
    val events = mutableListOf<String>()
    @Synchronized override fun record(eventJson: String) { events.add(eventJson) }
}

class Host {
    val directory = KotlinDirectory()
    val flows = KotlinRecords()
    val info = KotlinRecords()
    val notifier = KotlinNotifier()
    val clock = KotlinClock(T0)
    val audit = KotlinAudit()
    val ports = Ports(directory, info, flows, KotlinCounters(), KotlinConsumeOnce(), notifier, KotlinCaptcha(), clock, KotlinRandomness(), null, audit)

    fun engine(policy: Policy = Policy.fromToml("[reset]\nmethods = [\"email\", \"mobile_phone\"]\n"), ports: Ports = this.ports) =
        Engine(policy, ports, settings())
}

fun settings(keys: List<SigningKey> = listOf(SigningKey("k1", ByteArray(32) { it.toByte() }))) =
    EngineSettings(keys, ByteArray(32) { (it + 32).toByte() }, "Contoso", hashParamsInsecureForTests(), false, null, null, decoySettingsDefault())

fun user(id: String, name: String, admin: Boolean = false) = DirectoryUser(id, name, "Ann", "Lee", "Contoso", emptyList(), admin)

fun importOf(email: String? = null, mobile: String? = null) = SecurityInfoImport(email, mobile, null, emptyMap(), null, null)

var passed = 0
var failed = 0

fun test(name: String, body: () -> Unit) {
    try {
        body()
        passed++
    } catch (e: Throwable) {
        failed++
        println("FAIL $name: ${e::class.simpleName}: ${e.message}")
    }
}

fun check(ok: Boolean, what: () -> String) {
    if (!ok) throw AssertionError(what())
}

inline fun <reified E : Throwable> throws(body: () -> Unit): E {
    try {
        body()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("expected ${E::class.simpleName}, got ${e::class.simpleName}: ${e.message}")
    }
    throw AssertionError("expected ${E::class.simpleName}, nothing thrown")
}

fun main() {
    test("the Kotlin stores pass the store conformance suite") {
        val records = KotlinRecords()
        val results = checkStores(records, KotlinRecords(), KotlinCounters(), KotlinConsumeOnce(), "kt", 8u)
        check(results.size >= 10) { "only ${results.size} checks ran" }
        val failures = results.filter { it.failure != null }
        check(failures.isEmpty()) { "failed: $failures" }
    }

    test("the store conformance suite catches a last-writer-wins store") {
        val results = checkStores(LastWriterWins(), LastWriterWins(), KotlinCounters(), KotlinConsumeOnce(), "kt", 8u)
        check(results.any { it.failure != null }) { "a broken store passed every check" }
    }

    test("a reset through Kotlin ports changes the password once and notifies") {
        val host = Host()
        host.directory.add(user("u1", "ann@contoso.example"), "Old-Password-1")
        val engine = host.engine()
        engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val start = engine.startReset("ANN@contoso.example ", "solved", "10.0.0.1")
        val view = start.view!!
        check(start.rejection == null && view.state == "choose_method") { "start: $start" }
        check(view.options.map { it.option } == listOf(ResetOption.EMAIL)) { "options ${view.options}" }
        engine.resetStep(view.flowId, ResetInput.Choose(ResetOption.EMAIL))
        val code = host.notifier.sent.single().code!!
        check(host.notifier.sent.single().to == "ann.home@fabrikam.example") { "sent to ${host.notifier.sent.single().to}" }
        val wrong = code.dropLast(1) + ((code.last().digitToInt() + 1) % 10)
        check(engine.resetStep(view.flowId, ResetInput.EnterCode(wrong)).rejection == "code.mismatch") { "wrong code accepted" }
        check(engine.resetStep(view.flowId, ResetInput.EnterCode(code)).view!!.state == "new_password") { "right code refused" }
        val weak = engine.resetStep(view.flowId, ResetInput.NewPassword("password1", "password1"))
        check(weak.password?.accepted == false && weak.view!!.state == "new_password") { "weak password: $weak" }
        val done = engine.resetStep(view.flowId, ResetInput.NewPassword("Granite-Orchid-Velvet-8", "Granite-Orchid-Velvet-8"))
        check(done.view!!.state == "completed") { "not completed: $done" }
        check(host.directory.checkPassword("u1", "Granite-Orchid-Velvet-8")) { "password not set" }
        check(host.directory.history["u1"]!!.size == 1) { "history ${host.directory.history["u1"]}" }
        val kinds = host.notifier.sent.drop(1).map { it.to to it.kind }.toSet()
        check(kinds == setOf("ann.home@fabrikam.example" to "password_changed", "ann@contoso.example" to "password_changed")) { "notified $kinds" }
        check(host.audit.events.any { "\"password_changed\"" in it }) { "audit ${host.audit.events}" }
        check(host.audit.events.none { "fabrikam.example\"" in it && "ann.home" in it }) { "a clear address in the audit" }
    }

    test("an exception thrown by a Kotlin port is a typed error and loses nothing") {
        val host = Host()
        host.directory.add(user("u1", "ann@contoso.example"), "Old-Password-1")
        val engine = host.engine()
        engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val flow = engine.startReset("ann@contoso.example", "solved", null).view!!.flowId
        host.notifier.failWith = IllegalStateException("SMTP relay ann.home@fabrikam.example refused")
        val e = throws<SsprException.Port> { engine.resetStep(flow, ResetInput.Choose(ResetOption.EMAIL)) }
        check(e.port == "notifier" && e.kind == "unavailable") { "port ${e.port} kind ${e.kind}" }
        check("fabrikam" !in e.detail) { "the foreign exception's text leaked: ${e.detail}" }
        check(engine.resetView(flow).state == "choose_method") { "the flow moved" }
        host.notifier.failWith = PortException.Rejected("quota")
        val rejected = throws<SsprException.Port> { engine.resetStep(flow, ResetInput.Choose(ResetOption.EMAIL)) }
        check(rejected.kind == "rejected") { "kind ${rejected.kind}" }
        host.notifier.failWith = null
        check(engine.resetStep(flow, ResetInput.Choose(ResetOption.EMAIL)).view!!.state == "enter_code") { "no retry" }
        check(host.notifier.sent.size == 1) { "sent ${host.notifier.sent.size}" }
    }

    test("a lost compare-and-set in a Kotlin store is retried") {
        val host = Host()
        host.directory.add(user("u1", "ann@contoso.example"), "Old-Password-1")
        var conflicts = 1
        val racing = object : FlowStore {
            override fun load(flowId: String) = host.flows.load(flowId)
            override fun save(flowId: String, data: String, expectedVersion: ULong, expiresAt: ULong) {
                if (expectedVersion > 0uL && conflicts-- > 0) throw PortException.Conflict("raced")
                host.flows.save(flowId, data, expectedVersion, expiresAt)
            }
            override fun delete(flowId: String) = host.flows.delete(flowId)
        }
        val engine = host.engine(ports = host.ports.withFlows(racing))
        engine.importSecurityInfo("u1", importOf(mobile = "+14255550123"))
        val flow = engine.startReset("ann@contoso.example", "solved", null).view!!.flowId
        val r = engine.resetStep(flow, ResetInput.Choose(ResetOption.MOBILE_TEXT))
        check(r.view!!.state == "enter_code" && conflicts < 0) { "state ${r.view?.state}, conflicts left $conflicts" }
        // The flow is saved before anything is delivered: the step that lost the race sent
        // nothing, and the one code delivered is the one the saved flow holds.
        val codes = host.notifier.sent.map { it.code!! }
        check(codes.size == 1 && host.notifier.sent.all { it.channel == "sms" }) { "sent ${host.notifier.sent}" }
        check(engine.resetStep(flow, ResetInput.EnterCode(codes[0])).view!!.state == "new_password") { "the delivered code was refused" }
    }

    test("an unknown user gets a decoy that receives nothing") {
        val host = Host()
        val engine = host.engine()
        val r = engine.startReset("nobody@contoso.example", "solved", null)
        check(r.view!!.state == "choose_method" && r.view!!.options.isNotEmpty()) { "decoy view $r" }
        engine.resetStep(r.view!!.flowId, ResetInput.Choose(r.view!!.options.first().option))
        check(host.notifier.sent.isEmpty()) { "a decoy received ${host.notifier.sent.size}" }
        check(engine.resetStep(r.view!!.flowId, ResetInput.EnterCode("12345678")).rejection == "code.mismatch") { "decoy code" }
    }

    test("built-in memory ports mix with a Kotlin notifier; registration with an app") {
        val mem = MemoryPorts.forTests(T0.toULong(), 7uL, "pass")
        mem.addUser(user("u2", "bo@contoso.example"), "Old-Password-1")
        val notifier = KotlinNotifier()
        val policy = Policy.fromJson("{\"reset\": {\"methods\": [\"app_code\", \"email\"]}}")
        val engine = Engine(policy, mem.ports().withNotifier(notifier), settings())
        check(engine.signInCheck("bo@contoso.example", "Old-Password-1").registrationRequired) { "registration not required" }
        check(engine.startRegistration("bo@contoso.example", "nope").rejection == "reauth.failed") { "bad password accepted" }
        val flow = engine.startRegistration("bo@contoso.example", "Old-Password-1").view!!.flowId
        val p = engine.registrationStep(flow, RegistrationInput.App("device-1")).provisioning!!
        check(p.uri.startsWith("otpauth://totp/Contoso:")) { "uri" }
        val code = totpCode(p.secretB32, mem.now(), OtpAlgorithm.SHA1, 6u, 30u)
        val r = engine.registrationStep(flow, RegistrationInput.Verify(code))
        check(r.view!!.registered == listOf(Method.APP_CODE)) { "registered ${r.view?.registered}" }
        check(engine.registrationStep(flow, RegistrationInput.Finish).view!!.state == "done") { "not done" }
        notifier.sent.clear()
        // Bo has a method now: changing anything takes proof of it first.
        val flow2 = engine.startRegistration("bo@contoso.example", "Old-Password-1").view!!.flowId
        check(engine.registrationStep(flow2, RegistrationInput.Email("bo.home@fabrikam.example")).rejection == "proof.required") { "no proof asked" }
        engine.registrationStep(flow2, RegistrationInput.Prove(ResetOption.APP_CODE))
        mem.advance(30uL)
        val proof = engine.registrationStep(flow2, RegistrationInput.Verify(totpCode(p.secretB32, mem.now(), OtpAlgorithm.SHA1, 6u, 30u)))
        check(proof.view!!.state == "registering") { "proof ${proof.rejection}" }
        engine.registrationStep(flow2, RegistrationInput.Email("bo.home@fabrikam.example"))
        check(notifier.sent.single().let { it.kind == "code" && it.to == "bo.home@fabrikam.example" }) { "sent ${notifier.sent}" }
        check(mem.takeMessages().isEmpty()) { "the built-in notifier was used" }
    }

    test("bad input gets typed errors and keeps the flow") {
        val host = Host()
        host.directory.add(user("u1", "ann@contoso.example"), "Old-Password-1")
        val engine = host.engine()
        engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val flow = engine.startReset("ann@contoso.example", "solved", null).view!!.flowId
        engine.resetStep(flow, ResetInput.Choose(ResetOption.EMAIL))
        throws<SsprException.Input> { engine.startReset("x".repeat(100_000), "solved", null) }
        throws<SsprException.UnknownFlow> { engine.resetStep("no-such-flow", ResetInput.Resend) }
        throws<SsprException.Input> { engine.resetStep("f".repeat(10_000), ResetInput.Resend) }
        throws<SsprException.Input> { engine.importSecurityInfo("u1", importOf(email = "not an address")) }
        throws<SsprException.Input> { engine.importSecurityInfo("ghost", importOf(email = "a@b.example")) }
        throws<SsprException.Input> {
            engine.importSecurityInfo("u1", SecurityInfoImport(null, null, null, emptyMap(), AppSecret("JBSWY3DPEHPK3PXP", "d"), null))
        }
        throws<SsprException.Input> { engine.resetStep(flow, ResetInput.EnterCode("9".repeat(1_000_000))) }
        check(engine.resetView(flow).state == "enter_code") { "flow moved" }
        val code = host.notifier.sent.single().code!!
        check(engine.resetStep(flow, ResetInput.EnterCode(code)).view!!.state == "new_password") { "flow lost" }
        val policy = throws<SsprException.Policy> { Policy.fromJson("{\"reset\": {\"methods_requried\": 2}}") }
        check(policy.field == "reset.methods_requried") { "field ${policy.field}" }
        throws<SsprException.Misuse> { Engine(Policy(), host.ports, settings(listOf(SigningKey("k", ByteArray(4))))) }
        throws<SsprException.Misuse> {
            Engine(Policy(), host.ports, settings().copy(hashParams = HashParams(1u, 0u, 1u)))
        }
        throws<SsprException.Input> { totpCode("not base32!", 0uL, OtpAlgorithm.SHA1, 6u, 30u) }
        throws<SsprException.Input> { hotp("GEZDGNBVGY3TQOJQ", 0uL, OtpAlgorithm.SHA1, 42u) }
    }

    test("a view's toString names the flow by its reference, never its id") {
        val host = Host()
        host.directory.add(user("u1", "ann@contoso.example"), "Old-Password-1")
        val engine = host.engine()
        engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val r = engine.startReset("ann@contoso.example", "solved", null)
        val shown = "$r ${r.view}"
        check(!shown.contains(r.view!!.flowId)) { "the flow id leaked: $shown" }
        check(shown.contains(r.view!!.flowRef)) { "no reference: $shown" }
    }

    test("password evaluation with a Kotlin breach checker") {
        val breached = object : BreachChecker {
            val hash = MessageDigest.getInstance("SHA-1").digest("Summer-Breeze-2024".toByteArray()).joinToString("") { "%02X".format(it) }
            override fun range(prefix: String) = if (hash.startsWith(prefix)) listOf(BreachedSuffix(hash.substring(5), 42uL)) else emptyList()
        }
        val policy = Policy.fromToml("[password]\nbreached = true\n")
        val facts = UserFacts("ann@contoso.example", "Ann", "Lee", "Contoso")
        val v = evaluatePassword(policy, "Summer-Breeze-2024", "Summer-Breeze-2024", facts, emptyList(), breached, false)
        check(!v.accepted && "password.breached" in v.reasons && v.breach == "breached") { "verdict $v" }
        val ok = evaluatePassword(policy, "Granite-Orchid-Velvet-8", "Granite-Orchid-Velvet-8", facts, emptyList(), breached, false)
        check(ok.accepted && ok.breach == "clean") { "verdict $ok" }
        val down = object : BreachChecker { override fun range(prefix: String): List<BreachedSuffix> = throw RuntimeException("down") }
        val open = evaluatePassword(policy, "Granite-Orchid-Velvet-8", "Granite-Orchid-Velvet-8", facts, emptyList(), down, false)
        check(open.accepted && open.breach == "unavailable") { "fail open $open" }
        throws<SsprException.Port> { evaluatePassword(policy, "Granite-Orchid-Velvet-8", "Granite-Orchid-Velvet-8", facts, emptyList(), down, true) }
    }

    /** A reset started on one engine and carried on by another on the same database. */
    fun resetAcrossInstances(open: (MemoryPorts) -> Stores) {
        val mem = MemoryPorts.forTests(T0.toULong(), 11uL, "pass")
        mem.addUser(user("u3", "cy@contoso.example"), "Old-Password-1")
        val policy = Policy.fromToml("[reset]\nmethods = [\"email\", \"mobile_phone\"]\n")
        val stores = open(mem)
        check(stores.schemaVersion() == 1L) { "schema ${stores.schemaVersion()}" }
        val first = Engine(policy, stores.ports(mem.ports()), settings())
        first.importSecurityInfo("u3", importOf(email = "cy.home@fabrikam.example"))
        val flow = first.startReset("cy@contoso.example", "pass", null).view!!.flowId
        first.resetStep(flow, ResetInput.Choose(ResetOption.EMAIL))
        val second = Engine(policy, open(mem).ports(mem.ports()), settings())
        val code = mem.takeMessages().single().code!!
        check(second.resetStep(flow, ResetInput.EnterCode(code)).view!!.state == "new_password") { "the code" }
        val done = second.resetStep(flow, ResetInput.NewPassword("Granite-Orchid-Velvet-8", "Granite-Orchid-Velvet-8"))
        check(done.view!!.state == "completed") { "not completed: $done" }
        val events = stores.auditEvents(50u)
        check("\"password_changed\"" in events.first()) { "audit ${events.first()}" }
        check(events.none { flow in it || "cy.home@fabrikam.example" in it }) { "a secret in the audit" }
        val checks = stores.check("kt", 8u)
        check(checks.size >= 14 && checks.all { it.failure == null }) { "store checks ${checks.filter { it.failure != null }}" }
    }

    val defaults = StoreSettings("sspr_", 2u, 2000uL, 100000uL)

    test("SQLite stores in a file: a reset across two engines, the store checks, typed errors") {
        val dir = java.nio.file.Files.createTempDirectory("sspr-kt-").toFile()
        try {
            val path = java.io.File(dir, "sspr.db").path
            resetAcrossInstances { mem -> Stores.sqlite(path, defaults, mem.ports()) }
            throws<SsprException.Misuse> { Stores.sqlite(path, defaults.copy(prefix = "Bad-Prefix"), null) }
            throws<SsprException.Misuse> { Stores.sqlite(path, defaults.copy(timeoutMs = 0uL), null) }
            throws<SsprException.Port> { Stores.sqlite(java.io.File(dir, "no/such/dir/x.db").path, defaults, null) }
        } finally {
            dir.deleteRecursively()
        }
    }

    test("PostgreSQL stores on a throwaway server: a reset across two engines, the store checks") {
        postgresServer().use { server ->
            resetAcrossInstances { mem -> Stores.postgres(server.url, defaults, mem.ports()) }
            val absent = throws<SsprException.Port> { Stores.postgres("host=127.0.0.1 port=1 user=sspr", defaults, null) }
            check(absent.kind == "unavailable") { "kind ${absent.kind}" }
        }
    }

    test("Redis stores on a throwaway server: a reset across two engines, the store checks") {
        redisServer().use { server ->
            resetAcrossInstances { mem -> Stores.redis(server.url, defaults, mem.ports()) }
            throws<SsprException.Port> { Stores.redis("redis://127.0.0.1:1/0", defaults, null) }
        }
    }

    println("$passed passed, $failed failed")
    kotlin.system.exitProcess(if (failed > 0) 1 else 0)
}

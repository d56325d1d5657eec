// The engine through ports written in Kotlin: the store conformance suite on Kotlin stores,
// a whole reset, failing and conflicting ports, decoys, the built-in memory ports beside a Kotlin
// notifier, bad input, and password evaluation with a Kotlin breach checker.
package dev.sspr.tests

import dev.sspr.*
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.security.MessageDigest

class EngineTest {
    @Test
    fun `the Kotlin stores pass the store conformance suite`() {
        val records = KotlinRecords()
        val results = checkStores(records, KotlinRecords(), KotlinCounters(), KotlinConsumeOnce(), "kt", 8u)
        assertTrue(results.size >= 10) { "only ${results.size} checks ran" }
        val failures = results.filter { it.failure != null }
        assertTrue(failures.isEmpty()) { "failed: $failures" }
    }

    @Test
    fun `the store conformance suite catches a last-writer-wins store`() {
        val results = checkStores(LastWriterWins(), LastWriterWins(), KotlinCounters(), KotlinConsumeOnce(), "kt", 8u)
        assertTrue(results.any { it.failure != null }) { "a broken store passed every check" }
    }

    @Test
    fun `a reset through Kotlin ports changes the password once and notifies`() {
        val host = Host()
        host.directory.add(user("u1", "ann@contoso.example"), "Old-Password-1")
        val engine = host.engine()
        engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val start = engine.startReset("ANN@contoso.example ", "solved", "10.0.0.1")
        val view = start.view!!
        assertTrue(start.rejection == null && view.state == "choose_method") { "start: $start" }
        assertTrue(view.options.map { it.option } == listOf(ResetOption.EMAIL)) { "options ${view.options}" }
        engine.resetStep(view.flowId, ResetInput.Choose(ResetOption.EMAIL))
        val code = host.notifier.sent.single().code!!
        assertTrue(host.notifier.sent.single().to == "ann.home@fabrikam.example") { "sent to ${host.notifier.sent.single().to}" }
        val wrong = code.dropLast(1) + ((code.last().digitToInt() + 1) % 10)
        assertTrue(engine.resetStep(view.flowId, ResetInput.EnterCode(wrong)).rejection == "code.mismatch") { "wrong code accepted" }
        assertTrue(engine.resetStep(view.flowId, ResetInput.EnterCode(code)).view!!.state == "new_password") { "right code refused" }
        val weak = engine.resetStep(view.flowId, ResetInput.NewPassword("password1", "password1"))
        assertTrue(weak.password?.accepted == false && weak.view!!.state == "new_password") { "weak password: $weak" }
        val done = engine.resetStep(view.flowId, ResetInput.NewPassword("Granite-Orchid-Velvet-8", "Granite-Orchid-Velvet-8"))
        assertTrue(done.view!!.state == "completed") { "not completed: $done" }
        assertTrue(host.directory.checkPassword("u1", "Granite-Orchid-Velvet-8")) { "password not set" }
        assertTrue(host.directory.history["u1"]!!.size == 1) { "history ${host.directory.history["u1"]}" }
        val kinds = host.notifier.sent.drop(1).map { it.to to it.kind }.toSet()
        assertTrue(kinds == setOf("ann.home@fabrikam.example" to "password_changed", "ann@contoso.example" to "password_changed")) { "notified $kinds" }
        assertTrue(host.audit.events.any { "\"password_changed\"" in it }) { "audit ${host.audit.events}" }
        assertTrue(host.audit.events.none { "fabrikam.example\"" in it && "ann.home" in it }) { "a clear address in the audit" }
    }

    @Test
    fun `an exception thrown by a Kotlin port is a typed error and loses nothing`() {
        val host = Host()
        host.directory.add(user("u1", "ann@contoso.example"), "Old-Password-1")
        val engine = host.engine()
        engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val flow = engine.startReset("ann@contoso.example", "solved", null).view!!.flowId
        host.notifier.failWith = IllegalStateException("SMTP relay ann.home@fabrikam.example refused")
        val e = assertThrows<SsprException.Port> { engine.resetStep(flow, ResetInput.Choose(ResetOption.EMAIL)) }
        assertTrue(e.port == "notifier" && e.kind == "unavailable") { "port ${e.port} kind ${e.kind}" }
        assertTrue("fabrikam" !in e.detail) { "the foreign exception's text leaked: ${e.detail}" }
        assertTrue(engine.resetView(flow).state == "choose_method") { "the flow moved" }
        host.notifier.failWith = PortException.Rejected("quota")
        val rejected = assertThrows<SsprException.Port> { engine.resetStep(flow, ResetInput.Choose(ResetOption.EMAIL)) }
        assertTrue(rejected.kind == "rejected") { "kind ${rejected.kind}" }
        host.notifier.failWith = null
        assertTrue(engine.resetStep(flow, ResetInput.Choose(ResetOption.EMAIL)).view!!.state == "enter_code") { "no retry" }
        assertTrue(host.notifier.sent.size == 1) { "sent ${host.notifier.sent.size}" }
    }

    @Test
    fun `a lost compare-and-set in a Kotlin store is retried`() {
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
        val asked = engine.resetStep(flow, ResetInput.Choose(ResetOption.MOBILE_TEXT))
        assertTrue(asked.view!!.state == "confirm_number") { "state ${asked.view?.state}" }
        conflicts = 1 // the step that sends loses the next race
        val r = engine.resetStep(flow, ResetInput.ConfirmNumber("+1 (425) 555-0123"))
        assertTrue(r.view!!.state == "enter_code" && conflicts < 0) { "state ${r.view?.state}, conflicts left $conflicts" }
        // The flow is saved before anything is delivered: the step that lost the race sent
        // nothing, and the one code delivered is the one the saved flow holds.
        val codes = host.notifier.sent.map { it.code!! }
        assertTrue(codes.size == 1 && host.notifier.sent.all { it.channel == "sms" }) { "sent ${host.notifier.sent}" }
        assertTrue(engine.resetStep(flow, ResetInput.EnterCode(codes[0])).view!!.state == "new_password") { "the delivered code was refused" }
    }

    @Test
    fun `an unknown user gets a decoy that receives nothing`() {
        val host = Host()
        val engine = host.engine()
        val r = engine.startReset("nobody@contoso.example", "solved", null)
        assertTrue(r.view!!.state == "choose_method" && r.view!!.options.isNotEmpty()) { "decoy view $r" }
        val chosen = engine.resetStep(r.view!!.flowId, ResetInput.Choose(r.view!!.options.first().option))
        if (chosen.view!!.state == "confirm_number") {
            // A phone: the whole number is asked first, and the decoy goes on whatever it is.
            engine.resetStep(r.view!!.flowId, ResetInput.ConfirmNumber("+14255550123"))
        }
        assertTrue(host.notifier.sent.isEmpty()) { "a decoy received ${host.notifier.sent.size}" }
        assertTrue(engine.resetStep(r.view!!.flowId, ResetInput.EnterCode("12345678")).rejection == "code.mismatch") { "decoy code" }
    }

    @Test
    fun `built-in memory ports mix with a Kotlin notifier, registration with an app`() {
        val mem = MemoryPorts.forTests(T0.toULong(), 7uL, "pass")
        mem.addUser(user("u2", "bo@contoso.example"), "Old-Password-1")
        val notifier = KotlinNotifier()
        val policy = Policy.fromJson("{\"reset\": {\"methods\": [\"app_code\", \"email\"]}}")
        val engine = Engine(policy, mem.ports().withNotifier(notifier), settings())
        assertTrue(engine.signInCheck("bo@contoso.example", "Old-Password-1").registrationRequired) { "registration not required" }
        assertTrue(engine.startRegistration("bo@contoso.example", "nope").rejection == "reauth.failed") { "bad password accepted" }
        val flow = engine.startRegistration("bo@contoso.example", "Old-Password-1").view!!.flowId
        val p = engine.registrationStep(flow, RegistrationInput.App("device-1")).provisioning!!
        assertTrue(p.uri.startsWith("otpauth://totp/Contoso:")) { "uri" }
        val code = totpCode(p.secretB32, mem.now(), OtpAlgorithm.SHA1, 6u, 30u)
        val r = engine.registrationStep(flow, RegistrationInput.Verify(code))
        assertTrue(r.view!!.registered == listOf(Method.APP_CODE)) { "registered ${r.view?.registered}" }
        assertTrue(engine.registrationStep(flow, RegistrationInput.Finish).view!!.state == "done") { "not done" }
        notifier.sent.clear()
        // Bo has a method now: changing anything takes proof of it first.
        val flow2 = engine.startRegistration("bo@contoso.example", "Old-Password-1").view!!.flowId
        assertTrue(engine.registrationStep(flow2, RegistrationInput.Email("bo.home@fabrikam.example")).rejection == "proof.required") { "no proof asked" }
        engine.registrationStep(flow2, RegistrationInput.Prove(ResetOption.APP_CODE))
        mem.advance(30uL)
        val proof = engine.registrationStep(flow2, RegistrationInput.Verify(totpCode(p.secretB32, mem.now(), OtpAlgorithm.SHA1, 6u, 30u)))
        assertTrue(proof.view!!.state == "registering") { "proof ${proof.rejection}" }
        engine.registrationStep(flow2, RegistrationInput.Email("bo.home@fabrikam.example"))
        assertTrue(notifier.sent.single().let { it.kind == "code" && it.to == "bo.home@fabrikam.example" }) { "sent ${notifier.sent}" }
        assertTrue(mem.takeMessages().isEmpty()) { "the built-in notifier was used" }
    }

    @Test
    fun `bad input gets typed errors and keeps the flow`() {
        val host = Host()
        host.directory.add(user("u1", "ann@contoso.example"), "Old-Password-1")
        val engine = host.engine()
        engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val flow = engine.startReset("ann@contoso.example", "solved", null).view!!.flowId
        engine.resetStep(flow, ResetInput.Choose(ResetOption.EMAIL))
        assertThrows<SsprException.Input> { engine.startReset("x".repeat(100_000), "solved", null) }
        assertThrows<SsprException.UnknownFlow> { engine.resetStep("no-such-flow", ResetInput.Resend) }
        assertThrows<SsprException.Input> { engine.resetStep("f".repeat(10_000), ResetInput.Resend) }
        assertThrows<SsprException.Input> { engine.importSecurityInfo("u1", importOf(email = "not an address")) }
        assertThrows<SsprException.Input> { engine.importSecurityInfo("ghost", importOf(email = "a@b.example")) }
        assertThrows<SsprException.Input> {
            engine.importSecurityInfo("u1", SecurityInfoImport(null, null, null, emptyMap(), AppSecret("JBSWY3DPEHPK3PXP", "d"), null))
        }
        assertThrows<SsprException.Input> { engine.resetStep(flow, ResetInput.EnterCode("9".repeat(1_000_000))) }
        assertTrue(engine.resetView(flow).state == "enter_code") { "flow moved" }
        val code = host.notifier.sent.single().code!!
        assertTrue(engine.resetStep(flow, ResetInput.EnterCode(code)).view!!.state == "new_password") { "flow lost" }
        val policy = assertThrows<SsprException.Policy> { Policy.fromJson("{\"reset\": {\"methods_requried\": 2}}") }
        assertTrue(policy.field == "reset.methods_requried") { "field ${policy.field}" }
        assertThrows<SsprException.Misuse> { Engine(Policy(), host.ports, settings(listOf(SigningKey("k", ByteArray(4))))) }
        assertThrows<SsprException.Misuse> {
            Engine(Policy(), host.ports, settings().copy(hashParams = HashParams(1u, 0u, 1u)))
        }
        assertThrows<SsprException.Input> { totpCode("not base32!", 0uL, OtpAlgorithm.SHA1, 6u, 30u) }
        assertThrows<SsprException.Input> { hotp("GEZDGNBVGY3TQOJQ", 0uL, OtpAlgorithm.SHA1, 42u) }
    }

    @Test
    fun `a view's toString names the flow by its reference, never its id`() {
        val host = Host()
        host.directory.add(user("u1", "ann@contoso.example"), "Old-Password-1")
        val engine = host.engine()
        engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val r = engine.startReset("ann@contoso.example", "solved", null)
        val shown = "$r ${r.view}"
        assertTrue(!shown.contains(r.view!!.flowId)) { "the flow id leaked: $shown" }
        assertTrue(shown.contains(r.view!!.flowRef)) { "no reference: $shown" }
    }

    @Test
    fun `password evaluation with a Kotlin breach checker`() {
        val breached = object : BreachChecker {
            val hash = MessageDigest.getInstance("SHA-1").digest("Summer-Breeze-2024".toByteArray()).joinToString("") { "%02X".format(it) }
            override fun range(prefix: String) = if (hash.startsWith(prefix)) listOf(BreachedSuffix(hash.substring(5), 42uL)) else emptyList()
        }
        val policy = Policy.fromToml("[password]\nbreached = true\n")
        val facts = UserFacts("ann@contoso.example", "Ann", "Lee", "Contoso")
        val v = evaluatePassword(policy, "Summer-Breeze-2024", "Summer-Breeze-2024", facts, emptyList(), breached, false)
        assertTrue(!v.accepted && "password.breached" in v.reasons && v.breach == "breached") { "verdict $v" }
        val ok = evaluatePassword(policy, "Granite-Orchid-Velvet-8", "Granite-Orchid-Velvet-8", facts, emptyList(), breached, false)
        assertTrue(ok.accepted && ok.breach == "clean") { "verdict $ok" }
        val down = object : BreachChecker { override fun range(prefix: String): List<BreachedSuffix> = throw RuntimeException("down") }
        val open = evaluatePassword(policy, "Granite-Orchid-Velvet-8", "Granite-Orchid-Velvet-8", facts, emptyList(), down, false)
        assertTrue(open.accepted && open.breach == "unavailable") { "fail open $open" }
        assertThrows<SsprException.Port> { evaluatePassword(policy, "Granite-Orchid-Velvet-8", "Granite-Orchid-Velvet-8", facts, emptyList(), down, true) }
    }
}

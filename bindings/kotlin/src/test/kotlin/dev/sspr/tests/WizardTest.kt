// The registration wizard from Kotlin: resend and back, the default method and the success
// screen's methods, "not now" at sign-in, the authenticator app's test notification, and
// hardware OATH tokens, on the built-in memory ports.
package dev.sspr.tests

import dev.sspr.*
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

private const val PASSWORD = "Old-Password-1"
private const val SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
private const val ALL = """["email", "mobile_phone", "office_phone", "app_code", "app_notification"]"""

class WizardTest {
    private val mem = MemoryPorts.forTests(T0.toULong(), 7uL, "pass")

    private fun engine(policy: String = """{"reset": {"methods": $ALL, "methods_required": 1}}""", admin: Boolean = false): Engine {
        mem.addUser(user("u1", "ann@contoso.example", admin), PASSWORD)
        return Engine(Policy.fromJson(policy), mem.ports(), settings())
    }

    private fun codes(): List<String> = mem.takeMessages().mapNotNull { it.code }

    private fun step(engine: Engine, flow: String, input: RegistrationInput) = engine.registrationStep(flow, input)

    @Test
    fun `resend replaces the code and back goes one screen back`() {
        val e = engine("""{"reset": {"methods": $ALL, "methods_required": 1}, "limits": {"resend_cooldown_s": 60}}""")
        e.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val flow = e.startRegistration("ann@contoso.example", PASSWORD).view!!.flowId
        assertEquals("proving", step(e, flow, RegistrationInput.Prove(ResetOption.EMAIL)).view!!.state)
        val first = codes().single()
        val back = step(e, flow, RegistrationInput.Back)
        assertNull(back.rejection)
        assertEquals("prove_identity", back.view!!.state)
        assertEquals("flow.invalid_step", step(e, flow, RegistrationInput.Verify(first)).rejection)
        mem.advance(60u)
        step(e, flow, RegistrationInput.Prove(ResetOption.EMAIL))
        assertEquals("registering", step(e, flow, RegistrationInput.Verify(codes().single())).view!!.state)
        val office = step(e, flow, RegistrationInput.Office("+14255550177"))
        assertEquals(Method.OFFICE_PHONE, office.view!!.pending)
        assertTrue(office.view!!.pendingTo!!.endsWith("77")) { "masked: ${office.view!!.pendingTo}" }
        assertFalse(office.view!!.pendingTo!!.contains("55501"))
        val old = codes().single()
        mem.advance(20u)
        val early = step(e, flow, RegistrationInput.Resend)
        assertEquals("send.cooldown", early.rejection)
        assertEquals(40uL, early.retryAfter)
        assertTrue(codes().isEmpty()) { "a code was sent during the cooldown" }
        mem.advance(40u)
        val resent = step(e, flow, RegistrationInput.Resend)
        assertNull(resent.rejection)
        assertEquals("verifying", resent.view!!.state)
        val new = codes().single()
        assertTrue(new != old) { "the same code was sent again" }
        assertEquals("code.mismatch", step(e, flow, RegistrationInput.Verify(old)).rejection)
        val verified = step(e, flow, RegistrationInput.Verify(new))
        assertEquals(listOf(Method.EMAIL, Method.OFFICE_PHONE), verified.view!!.registered)
        // "I want to set up a different method": back drops the pending method.
        assertEquals(Method.MOBILE_PHONE, step(e, flow, RegistrationInput.Mobile("+14255550123", Via.TEXT)).view!!.pending)
        val dropped = step(e, flow, RegistrationInput.Back)
        assertEquals("registering", dropped.view!!.state)
        assertNull(dropped.view!!.pending)
        assertEquals("flow.invalid_step", step(e, flow, RegistrationInput.Resend).rejection)
        assertEquals("flow.invalid_step", step(e, flow, RegistrationInput.Back).rejection)
    }

    @Test
    fun `the first method is the default and the success screen lists the methods masked`() {
        val e = engine("""{"reset": {"methods": $ALL, "methods_required": 2}}""")
        val start = e.startRegistration("ann@contoso.example", PASSWORD).view!!
        assertNull(start.defaultMethod)
        assertTrue(start.methods.isEmpty()) { "methods ${start.methods}" }
        val flow = start.flowId
        step(e, flow, RegistrationInput.Mobile("+14255550123", Via.TEXT))
        assertEquals(Method.MOBILE_PHONE, step(e, flow, RegistrationInput.Verify(codes().single())).view!!.defaultMethod)
        step(e, flow, RegistrationInput.Email("ann.home@fabrikam.example"))
        assertEquals(Method.MOBILE_PHONE, step(e, flow, RegistrationInput.Verify(codes().single())).view!!.defaultMethod)
        assertEquals(ResetOption.MOBILE_TEXT, e.startReset("ann@contoso.example", "pass", null).view!!.options.first().option)
        val set = step(e, flow, RegistrationInput.SetDefault(Method.EMAIL))
        assertNull(set.rejection)
        assertEquals(Method.EMAIL, set.view!!.defaultMethod)
        assertEquals("method.invalid", step(e, flow, RegistrationInput.SetDefault(Method.OFFICE_PHONE)).rejection)
        assertEquals(ResetOption.EMAIL, e.startReset("ann@contoso.example", "pass", null).view!!.options.first().option)
        val done = step(e, flow, RegistrationInput.Finish).view!!
        assertEquals("done", done.state)
        assertEquals(
            listOf(
                RegisteredMethod(Method.EMAIL, "an******@fabrikam.example", true),
                RegisteredMethod(Method.MOBILE_PHONE, "+1 XXXXXXXX23", false),
            ),
            done.methods,
        )
        // The view's toString shows the masked methods, never the flow id.
        val shown = done.toString()
        assertTrue("an******@fabrikam.example" in shown && done.flowId !in shown && "ann.home" !in shown) { shown }
    }

    @Test
    fun `not now at sign-in, three times a day at a time`() {
        val e = engine("""{"reset": {"methods": ["email"], "methods_required": 1}}""")
        val check = e.signInCheck("ann@contoso.example", PASSWORD)
        assertTrue(check.registrationRequired && check.maySnooze) { "$check" }
        assertEquals(3u, check.snoozesLeft)
        val snoozed = e.snoozeRegistration("ann@contoso.example")
        assertEquals(SnoozeResult(null, (T0 + 86_400).toULong(), 2u, emptyList()), snoozed)
        assertEquals(1, mem.auditEvents().count { "\"registration_snoozed\"" in it }) { "audit ${mem.auditEvents()}" }
        val later = e.signInCheck("ann@contoso.example", PASSWORD)
        assertFalse(later.registrationRequired || later.maySnooze) { "$later" }
        assertEquals("snooze.unavailable", e.snoozeRegistration("ann@contoso.example").rejection)
        mem.advance(86_400u)
        val next = e.signInCheck("ann@contoso.example", PASSWORD)
        assertTrue(next.registrationRequired && next.maySnooze) { "$next" }
        assertEquals(2u, next.snoozesLeft)
        assertThrows<SsprException.Input> { e.snoozeRegistration("nobody@contoso.example") }
    }

    @Test
    fun `without a limit, and never for administrators`() {
        val e = engine("""{"reset": {"methods": ["email"]}, "registration": {"snooze_days": 14, "snoozes": 0}}""")
        val check = e.signInCheck("ann@contoso.example", PASSWORD)
        assertTrue(check.maySnooze) { "$check" }
        assertNull(check.snoozesLeft)
        val snoozed = e.snoozeRegistration("ann@contoso.example")
        assertEquals(SnoozeResult(null, (T0 + 14 * 86_400).toULong(), null, emptyList()), snoozed)
        val admin = WizardTest().engine(admin = true)
        val adminCheck = admin.signInCheck("ann@contoso.example", PASSWORD)
        assertTrue(adminCheck.registrationRequired && !adminCheck.maySnooze) { "$adminCheck" }
        assertEquals(0u, adminCheck.snoozesLeft)
        assertEquals("snooze.unavailable", admin.snoozeRegistration("ann@contoso.example").rejection)
    }

    @Test
    fun `the app confirmed by a test notification with number matching`() {
        val e = engine()
        val flow = e.startRegistration("ann@contoso.example", PASSWORD).view!!.flowId
        assertEquals("flow.invalid_step", step(e, flow, RegistrationInput.TestPush).rejection)
        assertEquals("verifying", step(e, flow, RegistrationInput.App("device-9")).view!!.state)
        val pushed = step(e, flow, RegistrationInput.TestPush)
        assertNull(pushed.rejection)
        val shown = pushed.view!!.approvalNumber!!.toInt()
        assertTrue(shown in 10..99) { "number $shown" }
        val push = mem.takeMessages().single()
        assertEquals(Triple("push", "approval_request", "device-9"), Triple(push.channel, push.kind, push.to))
        val wrong = if (shown >= 99) 10 else shown + 1
        val mismatch = step(e, flow, RegistrationInput.Approve(push.approvalRequestId!!, wrong.toUByte(), true))
        assertEquals("push.number_mismatch", mismatch.rejection)
        assertEquals("verifying", mismatch.view!!.state)
        val approved = step(e, flow, RegistrationInput.Approve(push.approvalRequestId!!, shown.toUByte(), true))
        assertNull(approved.rejection)
        assertEquals(setOf(Method.APP_CODE, Method.APP_NOTIFICATION), approved.view!!.registered.toSet())
        assertEquals(Method.APP_NOTIFICATION, approved.view!!.defaultMethod)
    }

    @Test
    fun `a hardware token is imported, then activated with a current code`() {
        val e = engine()
        val token = HardwareTokenImport("HW-0001", SEED, OtpAlgorithm.SHA256, 8u, 60u)
        assertTrue(SEED !in token.toString() && "HW-0001" in token.toString()) { "toString $token" }
        e.importHardwareToken("u1", token, "admin bob")
        val event = mem.auditEvents().single { "\"hardware_token_imported\"" in it }
        assertTrue("admin bob" in event && SEED !in event) { event }
        assertThrows<SsprException.Input> { e.importHardwareToken("u1", token, "admin bob") }
        for (bad in listOf(token.copy(serial = "B1", digits = 7u), token.copy(serial = "B2", period = 45u),
            token.copy(serial = "B3", algorithm = OtpAlgorithm.SHA512), token.copy(serial = "B4", secretB32 = "not base32!"))) {
            assertThrows<SsprException.Input> { e.importHardwareToken("u1", bad, "admin bob") }
        }
        assertThrows<SsprException.Input> { e.importHardwareToken("nobody", token.copy(serial = "HW-0002"), "admin bob") }
        assertTrue(e.signInCheck("ann@contoso.example", PASSWORD).registrationRequired) { "an inactive token counted" }
        val start = e.startRegistration("ann@contoso.example", PASSWORD).view!!
        assertEquals("registering", start.state)
        fun code() = totpCode(SEED, mem.now(), OtpAlgorithm.SHA256, 8u, 60u)
        assertEquals("method.invalid", step(e, start.flowId, RegistrationInput.ActivateToken("HW-0002", code())).rejection)
        val activated = step(e, start.flowId, RegistrationInput.ActivateToken("HW-0001", code()))
        assertNull(activated.rejection)
        assertEquals(listOf(Method.APP_CODE), activated.view!!.registered)
        assertEquals(Method.APP_CODE, activated.view!!.defaultMethod)
        // The inputs' toString names the step, never the code it carries.
        assertEquals("ActivateToken", RegistrationInput.ActivateToken("HW-0001", "12345678").toString())
        assertEquals("Verify", RegistrationInput.Verify("12345678").toString())
        assertEquals("EnterCode", ResetInput.EnterCode("12345678").toString())
        assertEquals("done", step(e, start.flowId, RegistrationInput.Finish).view!!.state)
        mem.advance(120u)
        val reset = e.startReset("ann@contoso.example", "pass", null).view!!
        assertEquals(listOf(ResetOption.APP_CODE), reset.options.map { it.option })
        assertEquals("enter_code", e.resetStep(reset.flowId, ResetInput.Choose(ResetOption.APP_CODE)).view!!.state)
        assertEquals("new_password", e.resetStep(reset.flowId, ResetInput.EnterCode(code())).view!!.state)
    }
}

// Changing a known password, what a help desk does for a user (a temporary password, a
// temporary access pass, lifting blocks) and replacing an engine's policy, on the built-in
// memory ports.
package dev.sspr.tests

import dev.sspr.*
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

class HelpDeskTest {
    private val mem = MemoryPorts.forTests(T0.toULong(), 11uL, "pass")

    private fun engine(policy: Policy = Policy()): Engine {
        mem.addUser(user("u1", "ann@contoso.example"), "Old-Password-1")
        return Engine(policy, mem.ports(), settings())
    }

    private fun auditOf(kind: String) = mem.auditEvents().filter { "\"$kind\"" in it }

    @Test
    fun `a known password is changed and the user told`() {
        val engine = engine()
        engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val r = engine.changePassword("ann@contoso.example", "Old-Password-1", "Quiet-Orchard-4417", "Quiet-Orchard-4417")
        assertTrue(r.changed) { "not changed: $r" }
        assertNull(r.rejection)
        assertTrue(r.password!!.accepted) { "verdict ${r.password}" }
        assertTrue(mem.passwordMatches("u1", "Quiet-Orchard-4417")) { "the directory kept the old password" }
        assertFalse(mem.mustChangePassword("u1"))
        val told = mem.takeMessages().map { it.to to it.kind }.toSet()
        assertEquals(setOf("ann@contoso.example" to "password_changed", "ann.home@fabrikam.example" to "password_changed"), told)
        assertEquals(1, auditOf("password_changed_by_user").size) { "audit ${mem.auditEvents()}" }
    }

    @Test
    fun `a wrong old password, a weak new one and one the directory refuses are rejections`() {
        val engine = engine(Policy.fromJson("{\"help_desk\": {\"contact\": \"helpdesk@contoso.example\"}}"))
        mem.refusePassword("Refused-Lantern-58")
        val wrong = engine.changePassword("ann@contoso.example", "Not-The-Password-1", "Quiet-Orchard-4417", "Quiet-Orchard-4417")
        assertFalse(wrong.changed)
        assertEquals("reauth.failed", wrong.rejection)
        assertNull(wrong.password) { "the new password was judged before the old one checked out" }
        val weak = engine.changePassword("ann@contoso.example", "Old-Password-1", "password1", "password1")
        assertFalse(weak.changed)
        assertTrue(weak.rejection!!.startsWith("password.") && weak.password?.accepted == false) { "weak: $weak" }
        assertTrue(weak.rejection in weak.password!!.reasons) { "reasons ${weak.password?.reasons}" }
        val refused = engine.changePassword("ann@contoso.example", "Old-Password-1", "Refused-Lantern-58", "Refused-Lantern-58")
        assertEquals("password.refused", refused.rejection)
        assertEquals("helpdesk@contoso.example", refused.helpDesk)
        assertTrue(mem.passwordMatches("u1", "Old-Password-1")) { "a rejected change was applied" }
        assertTrue(mem.takeMessages().isEmpty()) { "a rejected change was told" }
    }

    @Test
    fun `a help desk sets a temporary password to be changed at the next sign-in`() {
        val engine = engine()
        val temporary = engine.resetPasswordByHelpDesk("u1", "agent-7")
        assertTrue(temporary.mustChange)
        assertTrue(mem.mustChangePassword("u1")) { "the directory was not told to make the user change it" }
        assertTrue(mem.passwordMatches("u1", temporary.password)) { "the directory holds another password" }
        assertTrue(temporary.password !in temporary.toString()) { "the password shows in toString: $temporary" }
        assertTrue(mem.takeMessages().any { it.kind == "password_changed" && it.to == "ann@contoso.example" }) { "the user was not told" }
        val event = auditOf("temporary_password_set").single()
        assertTrue("\"actor\":\"agent-7\"" in event.replace(" ", "")) { "event $event" }
        assertTrue(temporary.password !in event) { "the password is in the audit" }
        // The user signs in with it and chooses a password of their own.
        val changed = engine.changePassword("ann@contoso.example", temporary.password, "Quiet-Orchard-4417", "Quiet-Orchard-4417")
        assertTrue(changed.changed) { "changed: $changed" }
        assertFalse(mem.mustChangePassword("u1"))
        assertThrows<SsprException.Input> { engine.resetPasswordByHelpDesk("ghost", "agent-7") }
        assertThrows<SsprException.Input> { engine.resetPasswordByHelpDesk("u1", "") }
    }

    @Test
    fun `a one-time access pass proves identity once`() {
        val engine = engine()
        engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val pass = engine.issueAccessPass("u1", "agent-7", 3600uL, true)
        assertEquals(T0.toULong() + 3600uL, pass.expiresAt)
        assertTrue(pass.oneTime)
        assertTrue(pass.pass !in pass.toString()) { "the pass shows in toString: $pass" }
        assertTrue(mem.auditEvents().none { pass.pass in it }) { "the pass is in the audit" }
        val flow = engine.startRegistration("ann@contoso.example", "Old-Password-1").view!!
        assertEquals("prove_identity", flow.state)
        val wrong = engine.registrationStep(flow.flowId, RegistrationInput.AccessPass("AAAA-BBBB-CCCC-DDDD"))
        assertEquals("access_pass.invalid", wrong.rejection)
        assertEquals("prove_identity", wrong.view!!.state)
        // Typed as a user would: lower case, spaces for hyphens.
        val proven = engine.registrationStep(flow.flowId, RegistrationInput.AccessPass(pass.pass.lowercase().replace('-', ' ')))
        assertNull(proven.rejection)
        assertEquals("registering", proven.view!!.state)
        engine.registrationStep(flow.flowId, RegistrationInput.Cancel)
        val again = engine.startRegistration("ann@contoso.example", "Old-Password-1").view!!
        assertEquals("access_pass.invalid", engine.registrationStep(again.flowId, RegistrationInput.AccessPass(pass.pass)).rejection) { "a one-time pass worked twice" }
        assertThrows<SsprException.Input> { engine.issueAccessPass("u1", "agent-7", 60uL, true) }
    }

    @Test
    fun `a help desk lifts a block and the blocked view names the help desk`() {
        val engine = engine(Policy.fromJson("{\"help_desk\": {\"contact\": \"https://help.contoso.example\"}, \"limits\": {\"verify_failures\": {\"max\": 2, \"window_s\": 3600, \"block_s\": 86400}}}"))
        engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
        val flow = engine.startReset("ann@contoso.example", "pass", null).view!!
        assertNull(flow.helpDesk) { "a user not stuck was sent to the help desk" }
        engine.resetStep(flow.flowId, ResetInput.Choose(ResetOption.EMAIL))
        val code = mem.takeMessages().single().code!!
        val wrong = code.dropLast(1) + ((code.last().digitToInt() + 1) % 10)
        var last: ResetResult? = null
        repeat(3) { last = engine.resetStep(flow.flowId, ResetInput.EnterCode(wrong)) }
        assertEquals("user.blocked", last!!.rejection) { "last: $last" }
        assertEquals("https://help.contoso.example", last!!.view!!.helpDesk)
        engine.unblock("ann@contoso.example", "agent-7")
        val again = engine.startReset("ann@contoso.example", "pass", null)
        assertNull(again.rejection)
        assertEquals("choose_method", again.view!!.state)
        assertTrue(auditOf("account_unblocked").single().contains("agent-7")) { "audit ${mem.auditEvents()}" }
    }

    @Test
    fun `replacing the policy returns the changed fields and applies to the next call`() {
        val engine = engine()
        val stricter = Policy.fromJson("{\"password\": {\"min_chars\": 20}, \"help_desk\": {\"contact\": \"helpdesk@contoso.example\"}}")
        // Calls on other threads go on while the policy is replaced.
        val pool = Executors.newFixedThreadPool(4)
        val reads = (1..8).map { pool.submit<Boolean> { engine.signInCheck("ann@contoso.example", "Old-Password-1").rejection == null } }
        val changed = engine.replacePolicy(stricter, "admin-1")
        assertTrue(reads.all { it.get(30, TimeUnit.SECONDS) }) { "a sign-in failed during the replacement" }
        pool.shutdown()
        assertEquals(listOf("help_desk.contact", "password.min_chars"), changed)
        val event = auditOf("policy_changed").single()
        assertTrue("admin-1" in event && "password.min_chars" in event) { "event $event" }
        val short = engine.changePassword("ann@contoso.example", "Old-Password-1", "Quiet-Orchard-4417", "Quiet-Orchard-4417")
        assertEquals("password.too_short", short.rejection) { "the old policy still applies: $short" }
        assertThrows<SsprException.Input> { engine.replacePolicy(Policy(), "") }
        assertEquals(listOf("help_desk.contact", "password.min_chars"), engine.replacePolicy(Policy(), "admin-1"))
        assertTrue(engine.replacePolicy(Policy(), "admin-1").isEmpty()) { "an unchanged policy named fields" }
    }
}

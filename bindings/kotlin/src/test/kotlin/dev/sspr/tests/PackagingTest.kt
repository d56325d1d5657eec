// What the artifact ships and how it is found: the native library sits in the classes at JNA's
// resource prefix for this platform and is loaded from there, with no jna.library.path; and
// Ports.production, the ports a deployment starts from (system clock, OS randomness).
package dev.sspr.tests

import com.sun.jna.Platform
import dev.sspr.*
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class PackagingTest {
    @Test
    fun `the native library is loaded from the classpath at JNA's resource prefix`() {
        assertNull(System.getProperty("jna.library.path")) { "the tests must find the library as a user of the jar does" }
        val resource = "${Platform.RESOURCE_PREFIX}/${System.mapLibraryName("sspr_ffi")}"
        assertNotNull(Policy::class.java.classLoader.getResource(resource)) { "no $resource on the classpath" }
        // RFC 4226, appendix D: the secret "12345678901234567890", counter 0.
        assertEquals("755224", hotp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 0uL, OtpAlgorithm.SHA1, 6u))
    }

    @Test
    fun `a reset on the production ports runs on the system clock`() {
        val directory = KotlinDirectory()
        directory.add(user("u1", "ann@contoso.example"), "Old-Password-1")
        val notifier = KotlinNotifier()
        Ports.production(directory, notifier, KotlinCaptcha()).use { ports ->
            val engine = Engine(Policy.fromToml("[reset]\nmethods = [\"email\"]\n"), ports, settings())
            engine.importSecurityInfo("u1", importOf(email = "ann.home@fabrikam.example"))
            val before = System.currentTimeMillis() / 1000
            val view = engine.startReset("ann@contoso.example", "solved", null).view!!
            val after = System.currentTimeMillis() / 1000
            // The flow expires some minutes after the wall-clock time it started.
            val lifetime = view.expiresAt.toLong() - before
            assertTrue(lifetime in 60..86_400 && view.expiresAt.toLong() - after <= 86_400) { "expires at ${view.expiresAt}, now $before" }
            engine.resetStep(view.flowId, ResetInput.Choose(ResetOption.EMAIL))
            val code = notifier.sent.single().code!!
            assertEquals("new_password", engine.resetStep(view.flowId, ResetInput.EnterCode(code)).view!!.state)
            val done = engine.resetStep(view.flowId, ResetInput.NewPassword("Granite-Orchid-Velvet-8", "Granite-Orchid-Velvet-8"))
            assertEquals("completed", done.view!!.state)
            assertTrue(directory.checkPassword("u1", "Granite-Orchid-Velvet-8")) { "password not set" }
            // Flow ids come from the OS randomness: a second reset gets a fresh one.
            val again = engine.startReset("ann@contoso.example", "solved", null).view!!
            assertTrue(again.flowId != view.flowId) { "the same flow id twice" }
        }
    }
}

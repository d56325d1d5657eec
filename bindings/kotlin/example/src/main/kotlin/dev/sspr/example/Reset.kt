// A whole self-service password reset from Kotlin, on the in-memory test ports that come with
// the dev.sspr:sspr artifact: a user with an alternate email forgets the password, proves it is
// them with a code sent to that address, and chooses a new password.
package dev.sspr.example

import dev.sspr.*
import java.security.SecureRandom

fun main() {
    val random = SecureRandom()
    fun key(): ByteArray = ByteArray(32).also(random::nextBytes)

    // Test doubles (a manual clock, seeded randomness, a CAPTCHA that accepts one token and a
    // notifier that records messages); a deployment starts from Ports.production(...) instead.
    MemoryPorts.forTests(System.currentTimeMillis().toULong() / 1000uL, null, "captcha-solved").use { mem ->
        mem.addUser(DirectoryUser("u-alex", "alex@contoso.example", "Alex", "Wilber", "Contoso", emptyList(), false), "Old-Password-1")
        val policy = Policy.fromToml("[reset]\nmethods = [\"email\", \"mobile_phone\"]\n")
        val settings = EngineSettings(
            listOf(SigningKey("2026-12", key())), key(), "Contoso", hashParamsOwasp(), false, null, null, decoySettingsDefault(),
        )
        Engine(policy, mem.ports(), settings).use { engine ->
            // Security info registered elsewhere: an alternate email.
            engine.importSecurityInfo("u-alex", SecurityInfoImport("alex.home@fabrikam.example", null, null, emptyMap(), null, null))

            val start = engine.startReset("alex@contoso.example", "captcha-solved", "127.0.0.1")
            val view = start.view ?: error("no reset started: ${start.rejection}")
            println("start: ${view.state}, gate ${view.gate} of ${view.gates}, options ${view.options.map { it.option }}")

            val sent = engine.resetStep(view.flowId, ResetInput.Choose(ResetOption.EMAIL))
            println("chose email: ${sent.view?.state}")
            val message = mem.takeMessages().single()
            println("the notifier recorded a ${message.kind} for ${message.to}")

            val entered = engine.resetStep(view.flowId, ResetInput.EnterCode(message.code ?: error("no code in $message")))
            println("entered the code: ${entered.view?.state}")

            val password = "Granite-Orchid-Velvet-8"
            val done = engine.resetStep(view.flowId, ResetInput.NewPassword(password, password))
            println("new password accepted: ${done.password?.accepted}, reset ${done.view?.state}")
            println("notified: ${mem.takeMessages().map { "${it.kind} to ${it.to}" }}")
            println("the directory now holds the new password: ${mem.passwordMatches("u-alex", password)}")
        }
    }
}

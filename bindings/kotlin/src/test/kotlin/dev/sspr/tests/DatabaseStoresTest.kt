// The database stores from Kotlin: SQLite in a file, PostgreSQL and Redis on throwaway servers
// (Servers.kt). Each carries a reset across two engines and passes the store checks.
package dev.sspr.tests

import dev.sspr.*
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class DatabaseStoresTest {
    /** A reset started on one engine and carried on by another on the same database. */
    private fun resetAcrossInstances(open: (MemoryPorts) -> Stores) {
        val mem = MemoryPorts.forTests(T0.toULong(), 11uL, "pass")
        mem.addUser(user("u3", "cy@contoso.example"), "Old-Password-1")
        val policy = Policy.fromToml("[reset]\nmethods = [\"email\", \"mobile_phone\"]\n")
        val stores = open(mem)
        assertTrue(stores.schemaVersion() == 1L) { "schema ${stores.schemaVersion()}" }
        val first = Engine(policy, stores.ports(mem.ports()), settings())
        first.importSecurityInfo("u3", importOf(email = "cy.home@fabrikam.example"))
        val flow = first.startReset("cy@contoso.example", "pass", null).view!!.flowId
        first.resetStep(flow, ResetInput.Choose(ResetOption.EMAIL))
        val second = Engine(policy, open(mem).ports(mem.ports()), settings())
        val code = mem.takeMessages().single().code!!
        assertTrue(second.resetStep(flow, ResetInput.EnterCode(code)).view!!.state == "new_password") { "the code" }
        val done = second.resetStep(flow, ResetInput.NewPassword("Granite-Orchid-Velvet-8", "Granite-Orchid-Velvet-8"))
        assertTrue(done.view!!.state == "completed") { "not completed: $done" }
        val events = stores.auditEvents(50u)
        assertTrue("\"password_changed\"" in events.first()) { "audit ${events.first()}" }
        assertTrue(events.none { flow in it || "cy.home@fabrikam.example" in it }) { "a secret in the audit" }
        val checks = stores.check("kt", 8u)
        assertTrue(checks.size >= 14 && checks.all { it.failure == null }) { "store checks ${checks.filter { it.failure != null }}" }
    }

    private val defaults = StoreSettings("sspr_", 2u, 2000uL, 100000uL)

    @Test
    fun `SQLite stores in a file - a reset across two engines, the store checks, typed errors`() {
        val dir = java.nio.file.Files.createTempDirectory("sspr-kt-").toFile()
        try {
            val path = java.io.File(dir, "sspr.db").path
            resetAcrossInstances { mem -> Stores.sqlite(path, defaults, mem.ports()) }
            assertThrows<SsprException.Misuse> { Stores.sqlite(path, defaults.copy(prefix = "Bad-Prefix"), null) }
            assertThrows<SsprException.Misuse> { Stores.sqlite(path, defaults.copy(timeoutMs = 0uL), null) }
            assertThrows<SsprException.Port> { Stores.sqlite(java.io.File(dir, "no/such/dir/x.db").path, defaults, null) }
        } finally {
            dir.deleteRecursively()
        }
    }

    @Test
    fun `PostgreSQL stores on a throwaway server - a reset across two engines, the store checks`() {
        postgresServer().use { server ->
            resetAcrossInstances { mem -> Stores.postgres(server.url, defaults, mem.ports()) }
            val absent = assertThrows<SsprException.Port> { Stores.postgres("host=127.0.0.1 port=1 user=sspr", defaults, null) }
            assertTrue(absent.kind == "unavailable") { "kind ${absent.kind}" }
        }
    }

    @Test
    fun `Redis stores on a throwaway server - a reset across two engines, the store checks`() {
        redisServer().use { server ->
            resetAcrossInstances { mem -> Stores.redis(server.url, defaults, mem.ports()) }
            assertThrows<SsprException.Port> { Stores.redis("redis://127.0.0.1:1/0", defaults, null) }
        }
    }
}

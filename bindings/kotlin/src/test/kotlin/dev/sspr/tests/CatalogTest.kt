// sspr's words from Kotlin: reasons, password feedback, questions and notifications in the
// language a tag names, English when sspr ships none for it.
package dev.sspr.tests

import dev.sspr.*
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class CatalogTest {
    @Test
    fun `a tag chooses the language and English is the fallback`() {
        Catalog.forTag("de-AT").use { assertEquals("de", it.locale()) }
        Catalog.forTag("fr").use { assertEquals("en", it.locale()) }
    }

    @Test
    fun `reasons, feedback, questions and notices have words in German`() {
        Catalog.forTag("de").use { de ->
            Catalog.english().use { en ->
                assertEquals("Die Kennwörter stimmen nicht überein.", de.reason("password.mismatch"))
                assertEquals("The passwords don't match.", en.reason("password.mismatch"))
                assertNull(de.reason("code.nope"))
                assertNotEquals(en.feedback("strength.warning.dates"), de.feedback("strength.warning.dates"))
                assertEquals("Wie hieß Ihr erstes Haustier?", de.question("What was the name of your first pet?"))
                assertEquals("Robot?", de.question("Robot?"))
                val sms = de.notice("code", "sms", "Contoso", "48151623", 5uL, null)!!
                assertNull(sms.subject)
                assertTrue(sms.text.contains("48151623") && sms.text.contains("Contoso")) { sms.text }
                val mail = en.notice("password_changed", "email", "Contoso", null, null, null)!!
                assertTrue(mail.subject!!.contains("Contoso")) { mail.subject }
                assertNull(en.notice("code", "fax", "Contoso", "1", null, null))
            }
        }
    }
}

// Every port implemented in Kotlin, for the tests: versioned records with compare-and-set,
// counters, a consume-once set, a notifier, a directory, a clock, randomness, a CAPTCHA and an
// audit sink, and the engine settings and users the tests share.
package dev.sspr.tests

import dev.sspr.*
import java.security.MessageDigest
import java.security.SecureRandom
import java.util.concurrent.ConcurrentHashMap

const val T0 = 1_750_000_000L

/** Versioned records with compare-and-set: flows and security info. */
// One class serves both stores, whose interfaces name the key differently (flowId, user).
@Suppress("PARAMETER_NAME_CHANGED_ON_OVERRIDE")
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
@Suppress("PARAMETER_NAME_CHANGED_ON_OVERRIDE")
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

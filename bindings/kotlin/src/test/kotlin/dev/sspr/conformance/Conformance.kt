// The Kotlin conformance runner: every `*.json` vector file under a directory, through the
// generated Kotlin bindings. Usage: conformance.sh [DIR] (default: SSPR_CONFORMANCE_DIR, else the
// project's conformance/). Prints one line per failure and `N passed, N failed`.
package dev.sspr.conformance

import com.google.gson.Gson
import com.google.gson.GsonBuilder
import com.google.gson.Strictness
import com.google.gson.ToNumberPolicy
import dev.sspr.*
import java.io.File
import java.security.MessageDigest

class ExpectError(message: String) : Exception(message)

typealias Obj = Map<String, Any?>

/**
 * Reads vectors as plain values: objects as maps in document order, arrays as lists, numbers as
 * [Number]s that keep their text (so a policy is written back as the document had it), plus
 * String, Boolean and null. Strict JSON, as the Rust runner reads it.
 */
private val gson: Gson = GsonBuilder()
    .setStrictness(Strictness.STRICT)
    .setObjectToNumberStrategy(ToNumberPolicy.LAZILY_PARSED_NUMBER)
    .serializeNulls()
    .disableHtmlEscaping()
    .create()

fun parseJson(text: String): Any? = gson.fromJson(text, Any::class.java)

fun toJson(value: Any?): String = gson.toJson(value)

@Suppress("UNCHECKED_CAST")
fun Any?.obj(): Obj = (this as? Map<String, Any?>) ?: emptyMap()

@Suppress("UNCHECKED_CAST")
fun Any?.list(): List<Any?> = (this as? List<Any?>) ?: emptyList()

fun Any?.long(): Long? = (this as? Number)?.toLong()

fun Obj.str(key: String): String = (this[key] as? String) ?: ""

val TEST_HASH = HashParams(8u, 1u, 1u)

fun checkKeys(expect: Obj, known: Set<String>) {
    val unknown = expect.keys - known
    if (unknown.isNotEmpty()) throw ExpectError("unknown expect keys ${unknown.sorted()}")
}

fun algorithm(case: Obj): OtpAlgorithm = OtpAlgorithm.valueOf((case["algorithm"] as? String ?: "SHA1").uppercase())

fun runPolicy(case: Obj) {
    val expect = case["expect"].obj()
    checkKeys(expect, setOf("valid", "field"))
    val policy = try {
        Policy.fromJson(toJson(case["policy"]))
    } catch (e: SsprException.Policy) {
        if (expect["valid"] == true) throw ExpectError("rejected: ${e.detail}")
        val field = expect["field"] as? String
        if (field != null && e.field != field) throw ExpectError("error names '${e.field}', expected '$field'")
        return
    }
    if (expect["valid"] != true) throw ExpectError("accepted; expected an error at ${expect["field"]}")
    if (Policy.fromJson(policy.toJson()) != policy) throw ExpectError("the effective policy does not parse back to the same policy")
    if (Policy.fromToml(policy.toToml()) != policy) throw ExpectError("the effective policy's TOML does not parse back")
}

fun runHotp(case: Obj) {
    val got = hotp(case.str("secret_b32"), case["counter"].long()!!.toULong(), algorithm(case), case["digits"].long()!!.toInt().toUByte())
    if (got != case["code"]) throw ExpectError("generated $got, expected ${case["code"]}")
}

fun runTotp(case: Obj) {
    val digits = case["digits"].long()!!.toInt().toUByte()
    val period = (case["period"].long() ?: 30).toUInt()
    val t = case["t"].long()!!.toULong()
    if (!case.containsKey("submit")) {
        val got = totpCode(case.str("secret_b32"), t, algorithm(case), digits, period)
        if (got != case["code"]) throw ExpectError("generated $got, expected ${case["code"]}")
        return
    }
    val expect = case["expect"].obj()
    checkKeys(expect, setOf("valid", "step", "reason"))
    val r = verifyTotp(
        case.str("secret_b32"), case.str("submit"), t, algorithm(case), digits, period,
        (case["skew"].long() ?: 1).toInt().toUByte(), case["last_step"].long()?.toULong(),
    )
    if (r.valid != expect["valid"]) throw ExpectError("valid=${r.valid} (${r.reason}), expected ${expect["valid"]}")
    if (r.valid && expect.containsKey("step") && r.step != expect["step"].long()?.toULong()) {
        throw ExpectError("matched step ${r.step}, expected ${expect["step"]}")
    }
    if (!r.valid && expect.containsKey("reason") && r.reason != expect["reason"]) {
        throw ExpectError("refused with ${r.reason}, expected ${expect["reason"]}")
    }
}

fun sha1Hex(s: String): String =
    MessageDigest.getInstance("SHA-1").digest(s.toByteArray()).joinToString("") { "%02X".format(it) }

/** A breach service written in Kotlin: k-anonymity range answers over a set of passwords. */
class SetBreachChecker(passwords: Iterable<String>, private val down: Boolean = false) : BreachChecker {
    private val hashes = passwords.map(::sha1Hex).toSet()
    override fun range(prefix: String): List<BreachedSuffix> {
        if (down) throw PortException.Unavailable("breach service down")
        return hashes.filter { it.startsWith(prefix) }.map { BreachedSuffix(it.substring(5), 1u) }
    }
}

val commonPasswords: SetBreachChecker by lazy {
    val root = File(System.getProperty("sspr.root") ?: ".")
    val lines = File(root, "sspr-core/data/common-passwords.txt").readLines()
    SetBreachChecker(lines.map { it.trim() }.filter { it.isNotEmpty() && !it.startsWith("#") })
}

fun runPassword(case: Obj) {
    val expect = case["expect"].obj()
    checkKeys(expect, setOf("accepted", "reasons", "banned_score", "error"))
    val policy = Policy.fromJson(toJson(mapOf("password" to (case["policy"] ?: emptyMap<String, Any?>()))))
    val user = case["user"].obj()
    val history = user["previous"].list().map { hashSecret(it as String, TEST_HASH) }
    val down = case["breach_service"] == "down"
    val checker = when {
        case.containsKey("breached") -> SetBreachChecker(case["breached"].list().map { it as String }, down)
        down -> SetBreachChecker(emptyList(), true)
        else -> commonPasswords
    }
    val v = try {
        evaluatePassword(
            policy, case.str("password"), (case["confirm"] as? String) ?: case.str("password"),
            UserFacts(user.str("username"), user.str("first_name"), user.str("last_name"), user.str("org_name")),
            history, checker, case["breach_mode"] == "fail_closed",
        )
    } catch (e: SsprException.Port) {
        if (expect["error"] == "port") return
        throw e
    }
    if (expect.containsKey("error")) throw ExpectError("expected a ${expect["error"]} error")
    if (expect.containsKey("accepted") && v.accepted != expect["accepted"]) {
        throw ExpectError("accepted=${v.accepted}, expected ${expect["accepted"]}; reasons ${v.reasons}, banned score ${v.bannedScore}")
    }
    for (r in expect["reasons"].list()) if (r !in v.reasons) throw ExpectError("reason $r not reported; got ${v.reasons}")
    if (expect.containsKey("banned_score") && v.bannedScore?.toLong() != expect["banned_score"].long()) {
        throw ExpectError("banned score ${v.bannedScore}, expected ${expect["banned_score"]}")
    }
}

val FLOW_EXPECT_KEYS = setOf(
    "state", "options", "gate", "questions", "rejection", "sent", "retry_after",
    "registration_required", "reconfirm_due", "registered", "password_is",
    "must_change_password", "help_desk", "unavailable", "default_method", "first_option",
    "methods", "may_snooze", "snoozes_left",
)

/** What a step produced, in the terms `expect` checks. */
class Seen {
    var state: String? = null
    var options: List<String>? = null
    var gate: Long? = null
    var questions: Long? = null
    var rejection: String? = null
    var retryAfter: Long? = null
    var registrationRequired: Boolean? = null
    var reconfirmDue: Boolean? = null
    var registered: List<String>? = null
    var helpDesk: String? = null
    var unavailable: List<String>? = null
    var defaultMethod: String? = null
    var firstOption: String? = null
    /** The registration view's `methods`: id, masked destination, default. */
    var methods: List<Triple<String, String?, Boolean>>? = null
    var maySnooze: Boolean? = null
    var snoozesLeft: Long? = null
}

/** Who acts in a help-desk step (`actor`, default `help desk`). */
fun actor(step: Obj): String = (step["actor"] as? String) ?: "help desk"

class FlowWorld(case: Obj) {
    val epoch: Long = case["epoch"].long() ?: 1750000000L
    val mem = MemoryPorts.forTests(epoch.toULong(), 42uL, "pass")
    val engine: Engine
    val answers = HashMap<String, Map<String, String>>()
    val appSecrets = HashMap<String, String>()
    val usernames = HashMap<String, String>()
    /** Each user's phones (mobile, office) as imported or last registered: what a `choose` types when the screen asks for the whole number. */
    val phones = HashMap<String, Array<String?>>()
    var resetFlow: String? = null
    var resetUser: String? = null
    var registrationFlow: String? = null
    var registrationUser: String? = null
    var lastCode: String? = null
    var lastPush: String? = null
    var lastToken: String? = null
    /** The link token of the last email delivered (`confirm_link` `$delivered`). */
    var lastLink: String? = null
    /** The recovery codes last shown to each user (`$recovery0` … `$recovery9`). */
    val recovery = HashMap<String, List<String>>()
    var proofOptions: List<ResetOption> = emptyList()
    var approvalShown: Int? = null
    /** The user an operation named last (`change_password`, `help_desk_reset`), for `password_is` and `must_change_password`. */
    var actedUser: String? = null
    /** The last temporary access pass issued (`$issued`). */
    var accessPass: String? = null
    val english = Catalog.english()
    /** Hardware tokens imported, by serial: seed, algorithm, digits, period (`$token:SERIAL`). */
    val tokens = HashMap<String, HardwareTokenImport>()

    init {
        mem.addCommonPasswords()
        val policy = Policy.fromJson(toJson(case["policy"] ?: emptyMap<String, Any?>()))
        val directory = case["directory"].obj()
        val org = directory.str("org_name")
        engine = Engine(
            policy, mem.ports(),
            EngineSettings(
                listOf(SigningKey("test", ByteArray(32) { 9 })), ByteArray(32) { 10 }, org.ifEmpty { "sspr" },
                TEST_HASH, false, null, null, decoySettingsDefault(),
            ),
        )
        for (u in directory["users"].list().map { it.obj() }) {
            val name = u.str("username")
            usernames[name.trim().lowercase()] = name
            mem.addUser(
                DirectoryUser(name, name, u.str("first_name"), u.str("last_name"), org,
                    u["groups"].list().map { it as String }, u["admin"] == true),
                u.str("password"),
            )
            mem.setHistory(name, u["previous_passwords"].list().map { hashSecret(it as String, TEST_HASH) })
            for (p in u["directory_refuses"].list()) mem.refusePassword(p as String)
            val m = u["methods"].obj()
            phones[name] = arrayOf(m["mobile"] as? String, m["office"] as? String)
            val questions = m["questions"].obj().mapValues { it.value as String }
            if (m.containsKey("questions")) answers[name] = questions
            val app = m["app"]?.obj()
            if (app != null) appSecrets[name] = app.str("totp_secret_b32")
            engine.importSecurityInfo(
                name,
                SecurityInfoImport(
                    m["email"] as? String, m["mobile"] as? String, m["office"] as? String, questions,
                    app?.let { AppSecret(it.str("totp_secret_b32"), it.str("device")) },
                    u["confirmed_at"].long()?.toULong(),
                ),
            )
        }
    }

    fun now(): Long = mem.now().toLong()

    fun totpFor(user: String?, offset: Long): String {
        val secret = appSecrets[user] ?: throw ExpectError("no authenticator app for the user")
        return totpCode(secret, maxOf(0L, now() + offset * 30).toULong(), OtpAlgorithm.SHA1, 6u, 30u)
    }

    /** Resolves a code form: `$delivered`, `$totp`, `$totp±N`, `$token:SERIAL`, `$wrong`, `$recoveryN` or a literal. */
    fun code(form: String, user: String?, app: Boolean): String? = when {
        form == "\$delivered" -> lastCode
        form == "\$wrong" -> {
            val right = (if (app) runCatching { totpFor(user, 0) }.getOrNull() else lastCode) ?: "12345678"
            right.dropLast(1) + ((right.last().digitToInt() + 1) % 10)
        }
        form.startsWith("\$token:") -> (tokens[form.substring(7)] ?: throw ExpectError("no token ${form.substring(7)}"))
            .let { totpCode(it.secretB32, now().toULong(), it.algorithm, it.digits, it.period) }
        form.startsWith("\$totp") -> totpFor(user, form.substring(5).ifEmpty { "0" }.removePrefix("+").toLong())
        form.startsWith("\$recovery") -> recovery[user ?: ""]?.getOrNull(form.substring(9).toInt())
            ?: throw ExpectError("no recovery code ${form.substring(9)} shown to the user")
        else -> form
    }

    fun userOf(identifier: String): String? = usernames[identifier.trim().lowercase()]

    fun reset(r: ResetResult, seen: Seen) {
        val v = r.view
        seen.state = v?.state
        seen.options = v?.options?.map { resetOptionId(it.option) }
        seen.unavailable = v?.unavailable?.map { resetOptionId(it) }
        seen.gate = v?.gate?.toLong()
        seen.questions = v?.questions?.size?.toLong()
        seen.rejection = r.rejection
        seen.retryAfter = (r.retryAfter ?: v?.retryAfter)?.toLong()
        seen.helpDesk = v?.helpDesk
        seen.firstOption = v?.options?.firstOrNull()?.let { resetOptionId(it.option) }
    }

    fun registration(r: RegistrationResult, seen: Seen): RegistrationResult {
        seen.state = r.view?.state
        seen.rejection = r.rejection
        seen.retryAfter = r.retryAfter?.toLong()
        seen.registered = r.view?.registered?.map(::methodId)
        seen.helpDesk = r.view?.helpDesk
        seen.defaultMethod = r.view?.defaultMethod?.let(::methodId)
        seen.methods = r.view?.methods?.map { Triple(methodId(it.method), it.masked, it.default) }
        return r
    }

    fun resetStep(input: ResetInput, seen: Seen) =
        reset(engine.resetStep(resetFlow ?: throw ExpectError("no reset flow"), input), seen)

    fun regStep(input: RegistrationInput, seen: Seen) =
        registration(engine.registrationStep(registrationFlow ?: throw ExpectError("no registration flow"), input), seen)

    fun option(id: String): ResetOption = ResetOption.entries.firstOrNull { resetOptionId(it) == id }
        ?: throw ExpectError("unknown option $id")

    fun method(id: String): Method = Method.entries.firstOrNull { methodId(it) == id }
        ?: throw ExpectError("unknown method $id")

    fun step(step: Obj): Pair<Seen, List<Message>> {
        mem.setTime((epoch + (step["t"].long() ?: 0L)).toULong())
        val seen = Seen()
        when (val op = step["do"] as? String) {
            "start_reset" -> {
                val r = engine.startReset(step.str("identifier"), if (step["captcha"] == false) "fail" else "pass", null)
                actedUser = null
                r.view?.let { resetFlow = it.flowId; lastCode = null; lastPush = null }
                resetUser = userOf(step.str("identifier"))
                reset(r, seen)
            }
            "choose" -> {
                val form = step.str("option")
                val option = if (form == "\$first") engine.resetView(resetFlow!!).options.first().option else option(form)
                val r = engine.resetStep(resetFlow ?: throw ExpectError("no reset flow"), ResetInput.Choose(option))
                if (r.view?.state == "confirm_number" && step["type_number"] != false) {
                    // The whole number: the step's, else the one on file (any valid number for a
                    // user without one: a decoy goes on either way).
                    val onFile = phones[resetUser ?: ""] ?: arrayOfNulls(2)
                    val number = (step["number"] as? String)
                        ?: (if (option == ResetOption.OFFICE_CALL) onFile[1] else onFile[0])
                        ?: "+14255550123"
                    resetStep(ResetInput.ConfirmNumber(number), seen)
                } else {
                    reset(r, seen)
                }
            }
            "confirm_link" -> {
                val token = when (val form = step.str("link")) {
                    "\$delivered" -> lastLink ?: ""
                    "\$wrong" -> "not-the-token-that-was-sent"
                    else -> form
                }
                resetStep(ResetInput.ConfirmLink(token), seen)
            }
            "confirm_number" -> resetStep(ResetInput.ConfirmNumber(step.str("number")), seen)
            "resend" -> resetStep(ResetInput.Resend, seen)
            "enter_code" -> {
                val app = engine.resetView(resetFlow!!).option == ResetOption.APP_CODE
                val code = code(step.str("code"), resetUser, app) ?: step.str("code")
                resetStep(ResetInput.EnterCode(code), seen)
            }
            "answer" -> {
                val view = engine.resetView(resetFlow!!)
                val known = answers[resetUser] ?: emptyMap()
                val given: Map<String, String> = when (val form = step["answers"]) {
                    "\$correct", "\$one_wrong" -> view.questions.mapIndexed { i, q ->
                        // Views name a predefined question by its stable id; vectors by its English text.
                        val a = known[q] ?: known[english.question(q)] ?: "unknown"
                        q to (if (form == "\$one_wrong" && i == 0) "$a not" else a)
                    }.toMap()
                    is Map<*, *> -> form.obj().mapValues { it.value as String }
                    else -> throw ExpectError("bad answers $form")
                }
                resetStep(ResetInput.Answer(given), seen)
            }
            "approve" -> {
                val shown = engine.resetView(resetFlow!!).approvalNumber?.toInt() ?: 10
                val number = approvalNumber(step["number"], shown)
                resetStep(ResetInput.Approve(lastPush ?: "", number.toUByte(), step["approve"] != false), seen)
            }
            "prove" -> {
                val form = step.str("option")
                val option = if (form == "\$first") proofOptions.firstOrNull() ?: throw ExpectError("no proof option offered") else option(form)
                val r = regStep(RegistrationInput.Prove(option), seen)
                approvalShown = r.view?.approvalNumber?.toInt()
            }
            "test_push" -> {
                val r = regStep(RegistrationInput.TestPush, seen)
                approvalShown = r.view?.approvalNumber?.toInt()
            }
            "approve_proof", "approve_app" -> {
                val number = approvalNumber(step["number"], approvalShown ?: 10)
                regStep(RegistrationInput.Approve(lastPush ?: "", number.toUByte(), step["approve"] != false), seen)
            }
            "report_not_me" -> {
                val form = step.str("token")
                val token = if (form == "\$last") lastToken ?: throw ExpectError("no notice with a token was delivered") else form
                seen.rejection = engine.reportNotMe(token).rejection
            }
            "new_password" -> {
                val pw = step.str("password")
                resetStep(ResetInput.NewPassword(pw, (step["confirm"] as? String) ?: pw), seen)
            }
            "unlock" -> resetStep(ResetInput.Unlock, seen)
            "cancel" -> resetStep(ResetInput.Cancel, seen)
            "sign_in" -> {
                val c = engine.signInCheck(step.str("user"), step.str("password"))
                seen.registrationRequired = c.registrationRequired
                seen.reconfirmDue = c.reconfirmDue
                seen.rejection = c.rejection
                seen.maySnooze = c.maySnooze
                seen.snoozesLeft = c.snoozesLeft?.toLong()
            }
            "snooze" -> {
                val r = engine.snoozeRegistration(step.str("user"))
                seen.rejection = r.rejection
                seen.snoozesLeft = r.snoozesLeft?.toLong()
            }
            "start_registration" -> {
                val r = registration(engine.startRegistration(step.str("user"), step.str("password")), seen)
                actedUser = null
                r.view?.let {
                    registrationFlow = it.flowId; registrationUser = userOf(step.str("user")); lastCode = null
                    proofOptions = it.proofOptions.map { o -> o.option }
                }
            }
            "register_email" -> regStep(RegistrationInput.Email(step.str("address")), seen)
            "register_mobile" -> {
                registrationUser?.let { phones.getOrPut(it) { arrayOfNulls(2) }[0] = step.str("number") }
                regStep(RegistrationInput.Mobile(step.str("number"), if (step["via"] == "call") Via.CALL else Via.TEXT), seen)
            }
            "register_office" -> {
                registrationUser?.let { phones.getOrPut(it) { arrayOfNulls(2) }[1] = step.str("number") }
                regStep(RegistrationInput.Office(step.str("number")), seen)
            }
            "register_app" -> {
                val r = regStep(RegistrationInput.App(null), seen)
                val user = registrationUser
                if (r.provisioning != null && user != null) appSecrets[user] = r.provisioning!!.secretB32
            }
            "register_recovery_codes" -> {
                val r = regStep(RegistrationInput.RecoveryCodes, seen)
                val user = registrationUser
                if (user != null && r.recoveryCodes.isNotEmpty()) recovery[user] = r.recoveryCodes
            }
            "register_questions" -> {
                val given = step["answers"].obj().mapValues { it.value as String }
                val r = regStep(RegistrationInput.Questions(given), seen)
                val user = registrationUser
                if (r.rejection == null && user != null) answers[user] = given
            }
            "verify" -> {
                val form = step.str("code")
                val pendingApp = registrationUser in appSecrets
                val app = form.startsWith("\$totp") || (form == "\$wrong" && pendingApp && lastCode == null)
                regStep(RegistrationInput.Verify(code(form, registrationUser, app) ?: form), seen)
            }
            "remove" -> regStep(RegistrationInput.Remove(method(step.str("method"))), seen)
            "set_default" -> regStep(RegistrationInput.SetDefault(method(step.str("method"))), seen)
            "registration_resend" -> regStep(RegistrationInput.Resend, seen)
            "back" -> regStep(RegistrationInput.Back, seen)
            "import_hardware_token" -> {
                val token = HardwareTokenImport(
                    step.str("serial"), step.str("secret_b32"), algorithm(step),
                    (step["digits"].long() ?: 6L).toInt().toUByte(), (step["period"].long() ?: 30L).toUInt(),
                )
                engine.importHardwareToken(step.str("user"), token, actor(step))
                tokens[token.serial] = token
            }
            "activate_token" -> {
                val form = step.str("code")
                regStep(RegistrationInput.ActivateToken(step.str("serial"), code(form, registrationUser, false) ?: form), seen)
            }
            "finish" -> regStep(RegistrationInput.Finish, seen)
            "change_password" -> {
                val user = step.str("user")
                val new = step.str("new")
                val r = engine.changePassword(user, step.str("old"), new, (step["confirm"] as? String) ?: new)
                actedUser = userOf(user)
                seen.rejection = r.rejection
                seen.retryAfter = r.retryAfter?.toLong()
                seen.helpDesk = r.helpDesk
            }
            "help_desk_reset" -> {
                val user = step.str("user")
                engine.resetPasswordByHelpDesk(user, actor(step))
                actedUser = user
            }
            "unblock" -> engine.unblock(step.str("identifier"), actor(step))
            "issue_access_pass" -> {
                val issued = engine.issueAccessPass(
                    step.str("user"), actor(step), (step["lifetime_s"].long() ?: 3600L).toULong(), (step["one_time"] as? Boolean) ?: true,
                )
                accessPass = issued.pass
            }
            "access_pass" -> {
                val form = step.str("pass")
                val pass = if (form == "\$issued") accessPass ?: throw ExpectError("no access pass was issued") else form
                regStep(RegistrationInput.AccessPass(pass), seen)
            }
            else -> throw ExpectError("unknown operation $op")
        }
        val sent = mem.takeMessages()
        for (m in sent) {
            m.code?.let { lastCode = it }
            m.approvalRequestId?.let { lastPush = it }
            m.revokeToken?.let { lastToken = it }
            m.linkToken?.let { lastLink = it }
        }
        return seen to sent
    }

    /** The number a device answers with: `$shown`, `$wrong` (the next one) or a literal. */
    fun approvalNumber(n: Any?, shown: Int): Int = when (n) {
        null, "\$shown" -> shown
        "\$wrong" -> if (shown >= 99) 10 else shown + 1
        is Number -> n.toInt()
        else -> throw ExpectError("bad number $n")
    }

    fun check(expect: Obj, seen: Seen, sent: List<Message>) {
        checkKeys(expect, FLOW_EXPECT_KEYS)
        fun fail(what: String): Nothing = throw ExpectError(what)
        if (expect.containsKey("state") && seen.state != expect["state"]) fail("state ${seen.state}, expected ${expect["state"]} (rejection ${seen.rejection})")
        if (expect.containsKey("unavailable") && (seen.unavailable ?: emptyList()).sorted() != expect["unavailable"].list().map { it as String }.sorted()) fail("unavailable ${seen.unavailable}, expected ${expect["unavailable"]}")
        if (expect.containsKey("options") && (seen.options ?: emptyList()).sorted() != expect["options"].list().map { it as String }.sorted()) fail("options ${seen.options}, expected ${expect["options"]}")
        if (expect.containsKey("gate") && seen.gate != expect["gate"].long()) fail("gate ${seen.gate}, expected ${expect["gate"]}")
        if (expect.containsKey("questions") && seen.questions != expect["questions"].long()) fail("questions ${seen.questions}, expected ${expect["questions"]}")
        if (expect.containsKey("retry_after") && seen.retryAfter != expect["retry_after"].long()) fail("retry_after ${seen.retryAfter}, expected ${expect["retry_after"]}")
        if (expect.containsKey("registration_required") && seen.registrationRequired != expect["registration_required"]) fail("registration_required ${seen.registrationRequired}")
        if (expect.containsKey("reconfirm_due") && seen.reconfirmDue != expect["reconfirm_due"]) fail("reconfirm_due ${seen.reconfirmDue}")
        if (expect.containsKey("rejection") && seen.rejection != expect["rejection"]) fail("rejection ${seen.rejection}, expected ${expect["rejection"]}")
        if (expect.containsKey("registered") && (seen.registered ?: emptyList()).sorted() != expect["registered"].list().map { it as String }.sorted()) fail("registered ${seen.registered}, expected ${expect["registered"]}")
        if (expect.containsKey("sent")) {
            val left = sent.toMutableList()
            for (w in expect["sent"].list().map { it.obj() }) {
                val match = left.firstOrNull { m ->
                    (w["channel"] ?: m.channel) == m.channel && (w["to"] ?: m.to) == m.to && (w["kind"] ?: m.kind) == m.kind
                } ?: fail("expected message $w not sent; sent ${sent.map { it.channel to it.kind }}")
                left.remove(match)
            }
            if (left.isNotEmpty()) fail("${left.size} unexpected message(s): ${left.map { it.channel to it.kind }}")
        }
        if (expect["password_is"] is String) {
            val user = actedUser ?: resetUser ?: registrationUser ?: fail("password_is without a user")
            if (!mem.passwordMatches(user, expect.str("password_is"))) fail("the directory holds a different password")
        }
        (expect["must_change_password"] as? Boolean)?.let { want ->
            val user = actedUser ?: resetUser ?: registrationUser ?: fail("must_change_password without a user")
            val got = mem.mustChangePassword(user)
            if (got != want) fail("must_change_password $got, expected $want")
        }
        if (expect.containsKey("default_method") && seen.defaultMethod != expect["default_method"] as? String) fail("default_method ${seen.defaultMethod}, expected ${expect["default_method"]}")
        if (expect.containsKey("first_option") && seen.firstOption != expect["first_option"] as? String) fail("first_option ${seen.firstOption}, expected ${expect["first_option"]}")
        if (expect.containsKey("methods")) {
            val got = seen.methods ?: emptyList()
            val want = expect["methods"].list().map { it.obj() }
            val ok = got.size == want.size && got.zip(want).all { (g, w) ->
                w["method"] == g.first &&
                    (!w.containsKey("masked") || w["masked"] as? String == g.second) &&
                    (w["default"] !is Boolean || w["default"] == g.third)
            }
            if (!ok) fail("methods $got, expected $want")
        }
        (expect["may_snooze"] as? Boolean)?.let { if (seen.maySnooze != it) fail("may_snooze ${seen.maySnooze}, expected $it") }
        if (expect.containsKey("snoozes_left") && seen.snoozesLeft != expect["snoozes_left"].long()) fail("snoozes_left ${seen.snoozesLeft}, expected ${expect["snoozes_left"]}")
        if (expect.containsKey("help_desk") && seen.helpDesk != expect["help_desk"] as? String) {
            fail("help_desk ${seen.helpDesk}, expected ${expect["help_desk"]}")
        }
    }
}

fun runFlow(case: Obj) {
    val world = FlowWorld(case)
    for ((i, step) in case["steps"].list().map { it.obj() }.withIndex()) {
        try {
            val (seen, sent) = world.step(step)
            step["expect"]?.let { world.check(it.obj(), seen, sent) }
        } catch (e: Exception) {
            throw ExpectError("step $i (${step["do"]}): ${e::class.simpleName}: ${e.message}")
        }
    }
}

val SUITES: Map<String, (Obj) -> Unit> = mapOf(
    "policy" to ::runPolicy, "hotp" to ::runHotp, "totp" to ::runTotp,
    "password" to ::runPassword, "flow" to ::runFlow,
)

fun runDir(dir: File): Triple<Int, Int, List<String>> {
    var passed = 0
    var failed = 0
    val failures = ArrayList<String>()
    val files = dir.walkTopDown().filter { it.isFile && it.name.endsWith(".json") }.sortedBy { it.path }.toList()
    for (file in files) {
        val shown = file.relativeTo(dir).path
        val doc = try { parseJson(file.readText()).obj() } catch (e: Exception) {
            failures.add("FAIL $shown: not JSON: ${e.message?.lineSequence()?.first()}"); failed++; continue
        }
        if (doc["format"].long() != 1L) { failures.add("FAIL $shown: format ${doc["format"]} is not 1"); failed++; continue }
        val run = SUITES[doc["suite"]]
        if (run == null) { failures.add("FAIL $shown: unknown suite ${doc["suite"]}"); failed++; continue }
        for (case in doc["cases"].list().map { it.obj() }) {
            try {
                run(case)
                passed++
            } catch (e: Exception) {
                failures.add("FAIL $shown / ${case["name"]}: ${e::class.simpleName}: ${e.message}")
                failed++
            }
        }
    }
    return Triple(passed, failed, failures)
}

fun main(args: Array<String>) {
    val dir = File(args.firstOrNull()?.ifEmpty { null } ?: System.getenv("SSPR_CONFORMANCE_DIR")?.ifEmpty { null } ?: "conformance")
    if (!dir.isDirectory) {
        println("no vector directory at $dir")
        kotlin.system.exitProcess(2)
    }
    val (passed, failed, failures) = runDir(dir)
    failures.forEach(::println)
    println("$passed passed, $failed failed")
    kotlin.system.exitProcess(if (failed > 0 || passed == 0) 1 else 0)
}

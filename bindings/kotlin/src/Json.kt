// A small JSON reader for the conformance vectors: objects become LinkedHashMap, arrays List,
// numbers JsonNumber (their text kept, so documents are written back unchanged), plus String,
// Boolean and null. Kotlin's standard library has no JSON.
package dev.sspr.tools

class JsonException(message: String) : Exception(message)

/** A number as written in the document. */
data class JsonNumber(val text: String) {
    fun toLong(): Long = text.toBigDecimal().toLong()
    fun toDouble(): Double = text.toDouble()
    fun isInteger(): Boolean = text.none { it in ".eE" }
}

object Json {
    fun parse(text: String): Any? {
        val p = Parser(text)
        val value = p.value()
        p.skipSpace()
        if (p.pos != text.length) throw JsonException("trailing characters at ${p.pos}")
        return value
    }

    private class Parser(val s: String) {
        var pos = 0

        fun skipSpace() {
            while (pos < s.length && s[pos].isWhitespace()) pos++
        }

        fun value(): Any? {
            skipSpace()
            if (pos >= s.length) throw JsonException("unexpected end")
            return when (val c = s[pos]) {
                '{' -> obj()
                '[' -> arr()
                '"' -> str()
                't' -> literal("true", true)
                'f' -> literal("false", false)
                'n' -> literal("null", null)
                else -> if (c == '-' || c.isDigit()) num() else throw JsonException("unexpected '$c' at $pos")
            }
        }

        fun literal(word: String, v: Any?): Any? {
            if (!s.startsWith(word, pos)) throw JsonException("bad literal at $pos")
            pos += word.length
            return v
        }

        fun obj(): Map<String, Any?> {
            val out = LinkedHashMap<String, Any?>()
            pos++
            skipSpace()
            if (s[pos] == '}') { pos++; return out }
            while (true) {
                skipSpace()
                val k = str()
                skipSpace()
                if (s[pos] != ':') throw JsonException("expected ':' at $pos")
                pos++
                out[k] = value()
                skipSpace()
                when (s[pos]) {
                    ',' -> pos++
                    '}' -> { pos++; return out }
                    else -> throw JsonException("expected ',' or '}' at $pos")
                }
            }
        }

        fun arr(): List<Any?> {
            val out = ArrayList<Any?>()
            pos++
            skipSpace()
            if (s[pos] == ']') { pos++; return out }
            while (true) {
                out.add(value())
                skipSpace()
                when (s[pos]) {
                    ',' -> pos++
                    ']' -> { pos++; return out }
                    else -> throw JsonException("expected ',' or ']' at $pos")
                }
            }
        }

        fun str(): String {
            if (s[pos] != '"') throw JsonException("expected a string at $pos")
            pos++
            val b = StringBuilder()
            while (true) {
                val c = s[pos++]
                when (c) {
                    '"' -> return b.toString()
                    '\\' -> {
                        when (val e = s[pos++]) {
                            '"', '\\', '/' -> b.append(e)
                            'b' -> b.append('\b')
                            'f' -> b.append('\u000C')
                            'n' -> b.append('\n')
                            'r' -> b.append('\r')
                            't' -> b.append('\t')
                            'u' -> { b.append(s.substring(pos, pos + 4).toInt(16).toChar()); pos += 4 }
                            else -> throw JsonException("bad escape at $pos")
                        }
                    }
                    else -> b.append(c)
                }
            }
        }

        fun num(): Any {
            val start = pos
            if (s[pos] == '-') pos++
            while (pos < s.length && (s[pos].isDigit() || s[pos] in ".eE+-")) pos++
            val t = s.substring(start, pos)
            t.toBigDecimalOrNull() ?: throw JsonException("bad number at $start")
            return JsonNumber(t)
        }
    }

    /// Writes a value back as JSON (for policy documents handed to the library).
    fun write(v: Any?): String = when (v) {
        null -> "null"
        is String -> quote(v)
        is Boolean, is Long, is Int -> v.toString()
        is JsonNumber -> v.text
        is Map<*, *> -> v.entries.joinToString(",", "{", "}") { quote(it.key as String) + ":" + write(it.value) }
        is List<*> -> v.joinToString(",", "[", "]") { write(it) }
        else -> throw JsonException("cannot write ${v::class}")
    }

    private fun quote(s: String): String {
        val b = StringBuilder("\"")
        for (c in s) when {
            c == '"' -> b.append("\\\"")
            c == '\\' -> b.append("\\\\")
            c < ' ' -> b.append(String.format("\\u%04x", c.code))
            else -> b.append(c)
        }
        return b.append('"').toString()
    }
}

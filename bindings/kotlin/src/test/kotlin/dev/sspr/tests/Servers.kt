// Throwaway PostgreSQL and Redis servers for the Kotlin tests: Debian's binaries, files in a
// temporary directory, a free loopback port, stopped and removed on close. Never for production.
package dev.sspr.tests

import java.io.File
import java.net.ServerSocket
import java.net.Socket
import java.nio.file.Files

private fun freePort(): Int = ServerSocket(0).use { it.localPort }

private fun waitFor(port: Int) {
    val deadline = System.nanoTime() + 30_000_000_000L
    while (System.nanoTime() < deadline) {
        try {
            Socket("127.0.0.1", port).close()
            return
        } catch (_: Exception) {
            Thread.sleep(50)
        }
    }
    throw IllegalStateException("nothing listens on port $port after 30 s")
}

private fun run(dir: File, vararg cmd: String) {
    val b = ProcessBuilder(*cmd).directory(dir).redirectErrorStream(true)
    // The host's locale may name one that is not installed (LANG=en_US.UTF-8 on a machine with
    // only C.utf8), and initdb then refuses to create the cluster. The C locale is always there
    // and takes any encoding.
    b.environment().keys.removeIf { it == "LANG" || it == "LANGUAGE" || it.startsWith("LC_") }
    b.environment()["LC_ALL"] = "C"
    val p = b.start()
    val out = p.inputStream.bufferedReader().readText()
    check(p.waitFor() == 0) { "${cmd.first()} failed: $out" }
}

/** A running throwaway server; [url] connects to it. */
interface Server : AutoCloseable {
    val url: String
}

fun redisServer(): Server {
    val dir = Files.createTempDirectory("sspr-redis-").toFile()
    val port = freePort()
    val proc = ProcessBuilder(
        "redis-server", "--bind", "127.0.0.1", "--port", "$port", "--dir", dir.path,
        "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction",
    ).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start()
    waitFor(port)
    Thread.sleep(100)
    return object : Server {
        override val url = "redis://127.0.0.1:$port/0"
        override fun close() {
            proc.destroyForcibly().waitFor()
            dir.deleteRecursively()
        }
    }
}

fun postgresServer(): Server {
    val bin = File("/usr/lib/postgresql").listFiles()?.map { File(it, "bin") }
        ?.filter { File(it, "initdb").exists() }?.maxByOrNull { it.path }
        ?: throw IllegalStateException("PostgreSQL is not installed (apt-get install postgresql)")
    val dir = Files.createTempDirectory("sspr-pg-").toFile()
    val root = System.getProperty("user.name") == "root"
    fun pg(tool: String, vararg args: String) {
        val exe = File(bin, tool).path
        if (root) run(dir, "runuser", "-u", "postgres", "--", exe, *args) else run(dir, exe, *args)
    }
    if (root) {
        run(dir, "chmod", "0755", dir.path)
        run(dir, "chown", "postgres:postgres", dir.path)
    }
    val data = File(dir, "data").path
    pg("initdb", "-D", data, "-A", "trust", "-U", "sspr", "-E", "UTF8", "--locale=C", "--no-sync")
    val port = freePort()
    pg("pg_ctl", "-D", data, "-o", "-c listen_addresses=127.0.0.1 -p $port -k ${dir.path} -c fsync=off",
        "-l", File(dir, "server.log").path, "-w", "start")
    return object : Server {
        override val url = "host=127.0.0.1 port=$port user=sspr dbname=postgres"
        override fun close() {
            pg("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
            dir.deleteRecursively()
        }
    }
}

/**
 * A loopback port that refuses connections for the whole test, written once for both editions (plain
 * Node, no Effect).
 *
 * A port freed a moment ago (listened on with port 0, then closed: what the tests took before) is one the
 * kernel hands out again: another process's `listen(0)` (a parallel test's fake binds half a dozen ports)
 * may take it between its release and the connection expected to be refused, which then reaches that
 * server instead. A port below the kernel's ephemeral range is never handed out (neither by `listen(0)` nor
 * to an outgoing connection): only a server asking for that very port could listen there, and none of the
 * tests does. The one taken is the first, from just below the range downwards, that refuses a connection
 * now (a service of the machine may listen on some) and that fetch connects to (not one of its "bad
 * ports", which it refuses without connecting).
 */
import { readFileSync } from "node:fs"
import { connect } from "node:net"

/**
 * The lowest port of the kernel's ephemeral range: Linux's net.ipv4.ip_local_port_range (32768 by
 * default), elsewhere 49152 (macOS's and Windows' default, IANA's dynamic ports).
 */
export const ephemeralLow = (): number => {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0])
    if (Number.isInteger(low) && low > 1) return low
  } catch {
    // Not Linux: the usual default.
  }
  return 49_152
}

/** The ports fetch never connects to (the Fetch standard's "bad ports" below 10,081). */
const badPorts = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080
])

/** Whether a connection to `127.0.0.1:port` is refused now. */
const refuses = (port: number): Promise<boolean> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1")
    socket.once("connect", () => {
      socket.destroy()
      resolve(false)
    })
    socket.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNREFUSED") resolve(true)
      else reject(error)
    })
  })

/** A port of `127.0.0.1` below the ephemeral range that refuses connections (see the module's comment). */
export const refusingPort = async (): Promise<number> => {
  for (let port = ephemeralLow() - 1; port > 0; port--) {
    if (!badPorts.has(port) && (await refuses(port))) return port
  }
  throw new Error("no loopback port below the ephemeral range refuses connections")
}

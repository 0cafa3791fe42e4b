/**
 * "Its ports are closed", checked exactly, written once for both editions (plain Node, no Effect).
 *
 * Connecting to the port a server had (what the tests did before) says nothing certain once the server has
 * closed: the kernel may hand the freed port to another listener at once (another process's, or another
 * worker thread's of this one: vitest runs test files side by side), so a refused connection may be a pass
 * and an accepted one a failure, both by chance. What is checked instead is the server's own listening
 * sockets: while it runs, the sockets listening on its ports that belong to this process (their inodes,
 * from /proc/net/tcp and /proc/net/tcp6 matched against the sockets of /proc/self/fd); once it has closed,
 * that none of those sockets still listens. A socket's inode is never another socket's while either
 * exists, so another listener on the same port is not mistaken for the server's. Where there is no /proc
 * (not Linux), the check falls back to connecting to each port, which must be refused.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs"
import { connect } from "node:net"

/** A server's listening sockets, as {@link listeningSockets} found them while it ran. */
export interface Listening {
  /** The ports listened on. */
  readonly ports: ReadonlyArray<number>
  /** The inodes of this process's sockets listening on them; undefined where there is no /proc. */
  readonly inodes: ReadonlyArray<string> | undefined
}

/** The TCP state "listen" in /proc/net/tcp (`st`, hexadecimal). */
const listenState = "0A"

/** Every listening TCP socket of the machine's network namespace as `[port, inode]`, or undefined without /proc. */
const listeningTable = (): ReadonlyArray<readonly [number, string]> | undefined => {
  const rows: Array<readonly [number, string]> = []
  let read = false
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string
    try {
      text = readFileSync(table, "utf8")
    } catch {
      continue
    }
    read = true
    // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ..."
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/)
      const local = fields[1]
      const inode = fields[9]
      if (fields[3] !== listenState || local === undefined || inode === undefined) continue
      rows.push([Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16), inode])
    }
  }
  return read ? rows : undefined
}

/** The inodes of this process's open sockets (`socket:[inode]` in /proc/self/fd), or undefined without /proc. */
const ownSockets = (): ReadonlySet<string> | undefined => {
  let fds: Array<string>
  try {
    fds = readdirSync("/proc/self/fd")
  } catch {
    return undefined
  }
  const inodes = new Set<string>()
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))
      if (match) inodes.add(match[1]!)
    } catch {
      // Closed since the directory was read (the one readdirSync itself held, among others).
    }
  }
  return inodes
}

/** The port of `url` (an `http://host:port` URL with its port given). */
const portOf = (url: string): number => {
  const port = Number(new URL(url).port)
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in ${url}`)
  return port
}

/**
 * This process's sockets listening on the ports of `urls` now; throws when one of the ports has none (the
 * server is not listening there, or another process is). Taken while the server runs, for
 * {@link assertClosed} once it has closed.
 */
export const listeningSockets = (urls: ReadonlyArray<string>): Listening => {
  const ports = [...new Set(urls.map(portOf))]
  const table = listeningTable()
  const own = ownSockets()
  if (table === undefined || own === undefined) return { ports, inodes: undefined }
  const inodes: Array<string> = []
  for (const port of ports) {
    const mine = table.filter(([listened, inode]) => listened === port && own.has(inode))
    if (mine.length === 0) throw new Error(`this process has no socket listening on port ${port}`)
    inodes.push(...mine.map(([, inode]) => inode))
  }
  return { ports, inodes }
}

/** Whether a connection to `127.0.0.1:port` is refused (the fallback without /proc). */
const refused = (port: number): Promise<boolean> =>
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

/**
 * Throws unless every socket of `listening` has stopped listening: none of its inodes is still a listening
 * socket this process holds (whoever listens on its ports now). Without /proc: unless every one of its ports
 * refuses a connection. Sockets found through /proc that /proc no longer shows (`table`, the listening sockets as
 * read now, and `own`, this process's sockets: undefined when they could not be read) throw too: no table read is
 * no socket found closed.
 *
 * Only this process's own sockets count: a child process this one is starting holds a copy of every descriptor
 * (fork copies them all; the exec that follows closes them, as Node opens its sockets close-on-exec), so in that
 * short window a socket the server has closed still listens, in the child. Under vitest's threads pool every test
 * file shares this process, and the others start children all the time (the CLI, npm, tsc): seen once on a loaded
 * machine ("still listening on port …" after the server had closed and waited for its connections).
 */
export const assertClosed = async (
  listening: Listening,
  table: () => ReadonlyArray<readonly [number, string]> | undefined = listeningTable,
  own: () => ReadonlySet<string> | undefined = ownSockets
): Promise<void> => {
  if (listening.inodes !== undefined) {
    const now = table()
    const mine = own()
    if (now === undefined || mine === undefined) {
      throw new Error("/proc/net/tcp, /proc/net/tcp6 and /proc/self/fd could not be read to check")
    }
    const still = now
      .filter(([, inode]) => listening.inodes!.includes(inode) && mine.has(inode))
      .map(([port]) => port)
    if (still.length > 0) throw new Error(`still listening on port ${[...new Set(still)].join(", ")}`)
    return
  }
  for (const port of listening.ports) {
    if (!(await refused(port))) throw new Error(`port ${port} still accepts connections`)
  }
}

/**
 * The fake Plex the Effect 4 web sign-in tests sign in against (the seed of
 * examples/web-sign-in/seed.ts): Alice owns the server, Bob is in Alice's
 * Plex Home, the server is shared with Carol, and Dave is a stranger to it.
 */
import type { FakePlex } from "effect4-plex-auth/testing"

export const seed: FakePlex.Options = {
  accounts: [
    { username: "alice", title: "Alice Owner" },
    { username: "bob", title: "Bob Home" },
    { username: "carol", title: "Carol Friend" },
    { username: "dave", title: "Dave Stranger" }
  ],
  servers: [{ owner: "alice", name: "Alice's Media Server", sharedWith: ["carol"] }],
  homes: [{ admin: "alice", members: ["alice", "bob"] }]
}

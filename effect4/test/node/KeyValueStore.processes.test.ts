/**
 * The Node file store shared by several processes (the cases of
 * test/node/KeyValueStore.processes.cases.ts, shared with the Effect 3
 * edition), checked in this process through the Effect 4
 * `KeyValueStore.make`.
 */
import { afterAll, beforeAll, describe, it } from "vitest"
import * as Effect from "effect/Effect"
import * as ClientIdentity from "effect4-plex-auth/ClientIdentity"
import * as Credentials from "effect4-plex-auth/Credentials"
import { KeyValueStore } from "../../src/node/index.js"
import { processCases } from "../../../test/node/KeyValueStore.processes.cases.js"

const storeIn = async (directory: string) => {
  const store = await Effect.runPromise(KeyValueStore.make({ directory }))
  return {
    get: (key: string) => Effect.runPromise(store.get(key)),
    size: () => Effect.runPromise(store.size),
    set: (key: string, value: string) => Effect.runPromise(store.set(key, value))
  }
}

describe("KeyValueStore.layerFile (Effect 4) shared by several processes", () => {
  processCases((name, f) => it(name, f, 60_000), { beforeAll, afterAll }, storeIn, {
    identifier: ClientIdentity.defaultStoreKey,
    token: Credentials.defaultStoreKey
  })
})

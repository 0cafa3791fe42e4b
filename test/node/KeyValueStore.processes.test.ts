/**
 * The Node file store shared by several processes (the cases of
 * KeyValueStore.processes.cases.ts, shared with the Effect 4 edition),
 * checked in this process through the Effect 3 `KeyValueStore.layerFile`.
 */
import { afterAll, beforeAll, describe, it } from "vitest"
import { Effect, Option } from "effect"
import { ClientIdentity, Credentials } from "effect-plex-auth"
import { KeyValueStore } from "effect-plex-auth/node"
import { processCases } from "./KeyValueStore.processes.cases.js"

const storeIn = async (directory: string) => {
  const store = await Effect.runPromise(
    Effect.provide(KeyValueStore.KeyValueStore, KeyValueStore.layerFile({ directory }))
  )
  return {
    get: (key: string) => Effect.runPromise(Effect.map(store.get(key), Option.getOrUndefined)),
    size: () => Effect.runPromise(store.size),
    set: (key: string, value: string) => Effect.runPromise(store.set(key, value))
  }
}

describe("KeyValueStore.layerFile shared by several processes", () => {
  processCases((name, f) => it(name, f, 60_000), { beforeAll, afterAll }, storeIn, {
    identifier: ClientIdentity.defaultStoreKey,
    token: Credentials.defaultStoreKey
  })
})

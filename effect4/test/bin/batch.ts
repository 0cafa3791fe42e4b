/**
 * Runs several `plex-auth` command lines (Effect 4 edition) one after the
 * other in one Node process, as the binary runs each
 * (effect4/src/bin/plex-auth.ts: the same `main`, on the process's
 * terminal, streams and environment; only the process's exit and signals
 * are left out), and prints what each printed and its exit code as one JSON
 * array: the twin of test/bin/batch.ts, for test/bin/editions.test.ts.
 *
 *   node22 --import tsx effect4/test/bin/batch.ts <cases.json>
 */
import * as fs from "node:fs"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { capture, type Case, scrubbed } from "../../../test/bin/batchCases.js"
import { main } from "../../src/bin/internal/cli.js"
import * as Session from "../../src/bin/internal/session.js"

const cases = JSON.parse(fs.readFileSync(process.argv[2]!, "utf8")) as ReadonlyArray<Case>

const results = []
for (const { args, env } of cases) {
  for (const name of scrubbed) delete process.env[name]
  Object.assign(process.env, env)
  // Effect 4 reads the environment once for the process (the ConfigProvider reference's default): each
  // run is given it as it is for the run, as a process of its own would read it.
  const provider = ConfigProvider.fromEnv({ env: { ...process.env } as Record<string, string> })
  results.push(
    await capture(() =>
      Effect.runPromise(
        main(args).pipe(
          Effect.provideService(ConfigProvider.ConfigProvider, provider),
          // A --fake PIN sign-in approved at its first check, as in test/bin/batch.ts (Effect 3).
          Effect.provideService(Session.FakeApprovalDelay, Duration.zero)
        )
      )
    )
  )
}
capture.print(results)

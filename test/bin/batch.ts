/**
 * Runs several `plex-auth` command lines (Effect 3 edition) one after the
 * other in one Node process, as the binary runs each (src/bin/plex-auth.ts:
 * the same `run`, terminal, streams and file system; only the process's
 * exit is left out), and prints what each printed and its exit code as one
 * JSON array. For the comparison of both editions' CLIs
 * (test/bin/editions.test.ts), which would otherwise start a Node process
 * per command line (a third of a CPU-second each). Its twin for the Effect 4
 * edition is effect4/test/bin/batch.ts.
 *
 *   node --import tsx test/bin/batch.ts <cases.json>
 *
 * `cases.json` holds `[{ args, env }]`: each run sees the process's
 * environment without the variables the CLI reads, plus `env`.
 */
import * as fs from "node:fs"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { run } from "../../src/bin/internal/main.js"
import * as Session from "../../src/bin/internal/session.js"
import * as CliTerminal from "../../src/bin/internal/terminal.js"
import { capture, type Case, scrubbed } from "./batchCases.js"

const cases = JSON.parse(fs.readFileSync(process.argv[2]!, "utf8")) as ReadonlyArray<Case>
const environment = Layer.provideMerge(CliTerminal.layer, CliTerminal.nodeIo)

const results = []
for (const { args, env } of cases) {
  for (const name of scrubbed) delete process.env[name]
  Object.assign(process.env, env)
  results.push(
    await capture(() =>
      Effect.runPromise(
        run(["node", "plex-auth", ...args]).pipe(
          Effect.provide(environment),
          Effect.provide(NodeContext.layer),
          // A --fake PIN sign-in approved at its first check, not a second later (as in-process tests may
          // ask: inProcess.ts fakeApprovesAfter): the cases run one after the other, and what both editions
          // print is compared, not how long the fake waits.
          Effect.provideService(Session.FakeApprovalDelay, Duration.zero)
        )
      )
    )
  )
}
capture.print(results)

// Exact gzipped bytes of the Effect 3 operations (scripts/bundle-budget.ts's programs), for A/B of a change.
import { measurePrograms, programs } from "../../scripts/bundle-budget.js"

const picked = programs.filter((p) => /getTokenDetails|postUsersSignInData|baseline/.test(p.name))
for (const m of await measurePrograms(picked))
  process.stdout.write(`${m.program.name}: ${m.gzipped} B gzipped\n`)

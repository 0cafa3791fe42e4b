import { measureAll, table } from "./bundle-budget.js"
const r = await measureAll()
console.log(table(r).split("\n").slice(0, 8).join("\n"))

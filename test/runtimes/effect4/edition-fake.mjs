// The Effect-free fake of the Effect 4 edition's package (copied into the scratch app as edition-fake.mjs).
export { makeHandler } from "effect4-plex-auth/fake"

// The Effect-free fake of the Effect 3 edition's package (copied into the scratch app as edition-fake.mjs).
export { makeHandler } from "effect-plex-auth/fake"

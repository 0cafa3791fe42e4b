/** What the benchmark's fake server process and the benchmark share. */

/** How many hanging candidates the server offers (the connection benchmark uses up to this many). */
export const maxHanging = 4

/** What the server prints once it listens. */
export interface Served {
  readonly plexTvUrl: string
  readonly token: string
  readonly login: string
  readonly password: string
  /** The benchmark server's connection that answers. */
  readonly healthyUrl: string
  /** Loopback listeners that accept a connection and never answer. */
  readonly hangingUrls: ReadonlyArray<string>
}

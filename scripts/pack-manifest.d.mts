// The types of scripts/pack-manifest.mjs, for test/pack-manifest.test.ts.

/**
 * `strip` or `restore` the package.json of the project in `root` (its copy kept in `root`/.tmp/), what is
 * said on stderr given to `warn`; answers false for another command.
 */
export declare const packManifest: (command: string, root: string, warn: (message: string) => void) => boolean

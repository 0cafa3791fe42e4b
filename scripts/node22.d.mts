// The types of scripts/node22.mjs, for the TypeScript files that start the Node it picks.

/** The Node binary scripts/prepare.mjs installs from the npm registry (tools/node22). */
export declare const bundledNode: string

/** Whether the Node running this is new enough for the Effect 4 edition (>= 22.19). */
export declare const systemNodeIsEnough: () => boolean

/**
 * The Node >= 22.19 scripts/node22.mjs starts (the system Node when new enough, else `bundled`, default
 * {@link bundledNode}), or undefined when there is none.
 */
export declare const findNode22: (bundled?: string) => string | undefined

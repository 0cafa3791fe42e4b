// The types of scripts/node22.mjs, for the TypeScript files that start the Node it picks.

/** The Node binary scripts/prepare.mjs installs from the npm registry (tools/node22). */
export declare const bundledNode: string

/** Whether the Node running this is new enough for the Effect 4 edition (>= 22.19). */
export declare const systemNodeIsEnough: () => boolean
